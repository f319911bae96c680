package org.moellava.serve.engine;

import org.moellava.error.InvalidInputException;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one request picks its tokens and when it stops.
 *
 * <p>The logits a token is picked from are the model's, then {@code logitBias} added, then the penalties
 * subtracted (OpenAI's formula: {@code logit[j] -= count[j] * frequencyPenalty + (count[j] > 0 ? 1 : 0) *
 * presencePenalty}, {@code count[j]} the times token j was generated so far in this answer; prompt tokens do not
 * count), then temperature, top-k and top-p. Log probabilities ({@code logprobs}) are of the model's own
 * distribution, before all of these.
 *
 * @param temperature 0 for greedy (argmax, ties to the lower id); otherwise logits are divided by it
 * @param topP nucleus mass in (0, 1]; 1 keeps every token
 * @param topK keep the k most likely tokens; 0 keeps every token
 * @param seed seed of the request's own random stream: the same seed gives the same tokens, whatever else
 *     runs in the same batch
 * @param maxTokens the most tokens to generate, at least 1
 * @param stop strings that end generation; the text is cut before the first one found
 * @param frequencyPenalty in [-2, 2]; 0 for none
 * @param presencePenalty in [-2, 2]; 0 for none
 * @param logitBias token id to a bias in [-100, 100] added to its logit (ids are checked against the vocabulary
 *     when the request is submitted); empty for none
 * @param logprobs -1 for no log probabilities; N in [0, 20]: each generated token's log probability and the N most
 *     likely tokens at its position with theirs
 */
public record SamplingParams(double temperature, double topP, int topK, long seed, int maxTokens, List<String> stop,
    double frequencyPenalty, double presencePenalty, Map<Integer, Double> logitBias, int logprobs) {

  /** Most alternatives {@link #logprobs} may ask for (OpenAI's {@code top_logprobs} limit). */
  public static final int MAX_TOP_LOGPROBS = 20;
  /** Largest absolute {@link #logitBias} value. */
  public static final double MAX_LOGIT_BIAS = 100;
  /** Largest absolute penalty. */
  public static final double MAX_PENALTY = 2;

  public SamplingParams {
    stop = List.copyOf(stop);
    logitBias = logitBias == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(logitBias));
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new InvalidInputException("temperature must be a finite number >= 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new InvalidInputException("top_p must be in (0, 1], got " + topP);
    }
    if (topK < 0) {
      throw new InvalidInputException("top_k must be >= 0 (0 disables it), got " + topK);
    }
    if (maxTokens < 1) {
      throw new InvalidInputException("max_tokens must be >= 1, got " + maxTokens);
    }
    for (String s : stop) {
      if (s.isEmpty()) {
        throw new InvalidInputException("stop strings must not be empty");
      }
    }
    if (!(Math.abs(frequencyPenalty) <= MAX_PENALTY)) {
      throw new InvalidInputException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
    }
    if (!(Math.abs(presencePenalty) <= MAX_PENALTY)) {
      throw new InvalidInputException("presence_penalty must be in [-2, 2], got " + presencePenalty);
    }
    for (Map.Entry<Integer, Double> e : logitBias.entrySet()) {
      if (e.getKey() == null || e.getKey() < 0) {
        throw new InvalidInputException("logit_bias token ids must be >= 0, got " + e.getKey());
      }
      if (e.getValue() == null || !(Math.abs(e.getValue()) <= MAX_LOGIT_BIAS)) {
        throw new InvalidInputException("logit_bias values must be in [-100, 100], got " + e.getValue()
            + " for token " + e.getKey());
      }
    }
    if (logprobs < -1 || logprobs > MAX_TOP_LOGPROBS) {
      throw new InvalidInputException("logprobs must be -1 (none) or in [0, 20], got " + logprobs);
    }
  }

  /** No penalties, no bias, no log probabilities. */
  public SamplingParams(double temperature, double topP, int topK, long seed, int maxTokens, List<String> stop) {
    this(temperature, topP, topK, seed, maxTokens, stop, 0, 0, Map.of(), -1);
  }

  /** Greedy decoding of at most {@code maxTokens} tokens with no stop strings. */
  public static SamplingParams greedy(int maxTokens) {
    return new SamplingParams(0, 1, 0, 0, maxTokens, List.of());
  }

  /** The same parameters with another seed (the choices of an {@code n > 1} request). */
  public SamplingParams withSeed(long newSeed) {
    return new SamplingParams(temperature, topP, topK, newSeed, maxTokens, stop, frequencyPenalty, presencePenalty,
        logitBias, logprobs);
  }

  /** Whether this picks the argmax. */
  public boolean isGreedy() {
    return temperature == 0;
  }

  /** Whether the model's logits are changed (bias or penalties) before the token is picked. */
  public boolean adjustsLogits() {
    return !logitBias.isEmpty() || frequencyPenalty != 0 || presencePenalty != 0;
  }

  /** Whether log probabilities are returned. */
  public boolean wantsLogprobs() {
    return logprobs >= 0;
  }
}
