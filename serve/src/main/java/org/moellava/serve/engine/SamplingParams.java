package org.moellava.serve.engine;

import org.moellava.error.InvalidInputException;

import java.util.List;

/**
 * How one request picks its tokens and when it stops.
 *
 * @param temperature 0 for greedy (argmax, ties to the lower id); otherwise logits are divided by it
 * @param topP nucleus mass in (0, 1]; 1 keeps every token
 * @param topK keep the k most likely tokens; 0 keeps every token
 * @param seed seed of the request's own random stream: the same seed gives the same tokens, whatever else
 *     runs in the same batch
 * @param maxTokens the most tokens to generate, at least 1
 * @param stop strings that end generation; the text is cut before the first one found
 */
public record SamplingParams(double temperature, double topP, int topK, long seed, int maxTokens, List<String> stop) {

  public SamplingParams {
    stop = List.copyOf(stop);
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
  }

  /** Greedy decoding of at most {@code maxTokens} tokens with no stop strings. */
  public static SamplingParams greedy(int maxTokens) {
    return new SamplingParams(0, 1, 0, 0, maxTokens, List.of());
  }

  /** Whether this picks the argmax. */
  public boolean isGreedy() {
    return temperature == 0;
  }
}
