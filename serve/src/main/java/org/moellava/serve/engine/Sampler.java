package org.moellava.serve.engine;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one row of logits: logit bias and penalties applied (when the request has them), then
 * greedy, or temperature then top-k then top-p (nucleus) sampling with the request's own random stream; and the
 * log probabilities of the model's own distribution ({@link TokenLogprobs}). Reuses its scratch arrays, so one instance serves one
 * thread (the scheduler).
 *
 * <p>Order of candidates is by logit, descending, ties to the lower token id; softmax is in double. Top-p
 * keeps the shortest prefix of that order whose mass reaches {@code topP} (at least one token). One uniform
 * draw per token picks within the kept tokens, walked in that order.
 */
public final class Sampler {
  private long[] order = new long[0];
  private double[] probs = new double[0];
  private float[] adjusted = new float[0];
  private FloatBuffer adjustedRow = FloatBuffer.wrap(adjusted);
  private int[] counts = new int[0];
  private boolean[] allowed = new boolean[0];

  /**
   * The sampled token id, from the logits after {@link SamplingParams#logitBias()} and the frequency and presence
   * penalties over the tokens generated so far.
   *
   * @param generated the tokens this request generated so far, {@code generated[0..count)}
   */
  public int sample(FloatBuffer logits, int offset, int vocab, SamplingParams params, SplittableRandom random,
      int[] banned, int[] generated, int count) {
    if (!params.adjustsLogits()) {
      return sample(logits, offset, vocab, params, random, banned);
    }
    return sample(adjust(logits, offset, vocab, params, generated, count), 0, vocab, params, random, banned);
  }

  /**
   * The sampled token id among those {@code constraint} allows (structured output), from the logits after bias and
   * penalties as above: the disallowed tokens' logits are minus infinity, then temperature, top-k and top-p apply to
   * what is left. Greedy decoding first takes the unconstrained argmax and asks the constraint about that token
   * alone; only when it is refused is the whole mask computed (the argmax over the allowed tokens is the same).
   *
   * @throws IllegalStateException if the constraint allows no token
   */
  public int sample(FloatBuffer logits, int offset, int vocab, SamplingParams params, SplittableRandom random,
      int[] banned, int[] generated, int count, TokenConstraint constraint) {
    FloatBuffer row = params.adjustsLogits() ? adjust(logits, offset, vocab, params, generated, count) : logits;
    int rowOffset = params.adjustsLogits() ? 0 : offset;
    if (params.isGreedy()) {
      int best = argmax(row, rowOffset, vocab, banned);
      if (constraint.allows(best)) {
        return best;
      }
    }
    if (allowed.length != vocab) {
      allowed = new boolean[vocab];
    }
    int n = constraint.allowed(allowed);
    if (n == 0) {
      throw new IllegalStateException("structured output: no token of the vocabulary can continue the JSON value");
    }
    if (params.isGreedy()) {
      return maskedArgmax(row, rowOffset, vocab, allowed);
    }
    if (row != adjustedRow) {
      if (adjusted.length < vocab) {
        adjusted = new float[vocab];
        adjustedRow = FloatBuffer.wrap(adjusted);
      }
      for (int v = 0; v < vocab; v++) {
        adjusted[v] = row.get(rowOffset + v);
      }
    }
    boolean finite = false;
    for (int v = 0; v < vocab; v++) {
      if (!allowed[v]) {
        adjusted[v] = Float.NEGATIVE_INFINITY;
      } else if (adjusted[v] > Float.NEGATIVE_INFINITY) {
        finite = true;
      }
    }
    if (!finite) { // the model gives every allowed token probability 0: keep the output going, lowest id first
      return maskedArgmax(adjustedRow, 0, vocab, allowed);
    }
    return sample(adjustedRow, 0, vocab, params, random, banned);
  }

  /** Argmax over the allowed tokens, ties to the lower id, NaN skipped (the lowest allowed id if all are NaN). */
  private static int maskedArgmax(FloatBuffer logits, int offset, int vocab, boolean[] allowed) {
    int best = -1;
    float bestValue = Float.NEGATIVE_INFINITY;
    int first = -1;
    for (int v = 0; v < vocab; v++) {
      if (!allowed[v]) continue;
      if (first < 0) first = v;
      float value = logits.get(offset + v);
      if (!Float.isNaN(value) && (best < 0 || value > bestValue)) {
        best = v;
        bestValue = value;
      }
    }
    return best >= 0 ? best : first;
  }

  /**
   * The row with the bias added and OpenAI's penalties subtracted: {@code logit[j] + bias[j] - count[j] *
   * frequencyPenalty - (count[j] > 0 ? presencePenalty : 0)}, in double, stored as float. Reused scratch.
   */
  FloatBuffer adjust(FloatBuffer logits, int offset, int vocab, SamplingParams params, int[] generated, int count) {
    if (adjusted.length < vocab) {
      adjusted = new float[vocab];
      adjustedRow = FloatBuffer.wrap(adjusted);
    }
    for (int v = 0; v < vocab; v++) {
      adjusted[v] = logits.get(offset + v);
    }
    for (java.util.Map.Entry<Integer, Double> bias : params.logitBias().entrySet()) {
      int id = bias.getKey();
      if (id < vocab) {
        adjusted[id] = (float) (adjusted[id] + bias.getValue());
      }
    }
    if ((params.frequencyPenalty() != 0 || params.presencePenalty() != 0) && count > 0) {
      if (counts.length < vocab) {
        counts = new int[vocab];
      }
      for (int i = 0; i < count; i++) {
        int t = generated[i];
        if (t >= 0 && t < vocab) counts[t]++;
      }
      for (int i = 0; i < count; i++) {
        int t = generated[i];
        if (t >= 0 && t < vocab && counts[t] > 0) { // first occurrence: apply once, then clear
          adjusted[t] = (float) (adjusted[t] - counts[t] * params.frequencyPenalty() - params.presencePenalty());
          counts[t] = 0;
        }
      }
    }
    return adjustedRow;
  }

  /**
   * Log probabilities of the model's distribution at this row (log-softmax over the whole vocabulary, in double;
   * NaN logits count as impossible): {@code token}'s, and the {@code top} most likely tokens', most likely first,
   * ties to the lower id.
   */
  public static TokenLogprobs logprobs(FloatBuffer logits, int offset, int vocab, int token, int top) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      float x = logits.get(offset + v);
      if (!Float.isNaN(x) && x > max) max = x;
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      float x = logits.get(offset + v);
      if (!Float.isNaN(x)) sum += Math.exp(x - max);
    }
    double logZ = max + Math.log(sum);
    int n = Math.min(top, vocab);
    int[] ids = new int[n];
    double[] values = new double[n];
    int filled = 0;
    for (int v = 0; v < vocab && n > 0; v++) {
      float x = logits.get(offset + v);
      if (Float.isNaN(x)) continue;
      if (filled == n && x <= values[n - 1]) continue; // not better than the worst kept (ties keep the lower id)
      int at = filled == n ? n - 1 : filled++;
      while (at > 0 && x > values[at - 1]) {
        values[at] = values[at - 1];
        ids[at] = ids[at - 1];
        at--;
      }
      values[at] = x;
      ids[at] = v;
    }
    double[] topLogprobs = new double[filled];
    for (int i = 0; i < filled; i++) {
      topLogprobs[i] = values[i] - logZ;
    }
    float chosen = logits.get(offset + token);
    double logprob = Float.isNaN(chosen) ? Double.NEGATIVE_INFINITY : chosen - logZ;
    return new TokenLogprobs(token, logprob, java.util.Arrays.copyOf(ids, filled), topLogprobs);
  }

  /**
   * The sampled token id.
   *
   * @param logits buffer holding the row at {@code offset}, {@code vocab} floats
   * @param banned token ids never to pick (the image placeholder), may be empty
   */
  public int sample(FloatBuffer logits, int offset, int vocab, SamplingParams params, SplittableRandom random,
      int[] banned) {
    if (params.isGreedy()) {
      return argmax(logits, offset, vocab, banned);
    }
    double invTemperature = 1.0 / params.temperature();
    int kept = sortedCandidates(logits, offset, vocab, banned);
    if (params.topK() > 0) {
      kept = Math.min(kept, params.topK());
    }
    ensureProbs(kept);
    double maxLogit = logits.get(offset + tokenOf(order[0]));
    double total = 0;
    for (int i = 0; i < kept; i++) {
      double p = Math.exp((logits.get(offset + tokenOf(order[i])) - maxLogit) * invTemperature);
      probs[i] = p;
      total += p;
    }
    if (params.topP() < 1) {
      double mass = 0;
      int nucleus = 0;
      while (nucleus < kept) {
        mass += probs[nucleus] / total;
        nucleus++;
        if (mass >= params.topP()) {
          break;
        }
      }
      kept = nucleus;
      total = 0;
      for (int i = 0; i < kept; i++) {
        total += probs[i];
      }
    }
    double u = random.nextDouble() * total;
    double cumulative = 0;
    for (int i = 0; i < kept; i++) {
      cumulative += probs[i];
      if (u < cumulative) {
        return tokenOf(order[i]);
      }
    }
    return tokenOf(order[kept - 1]);
  }

  /** Argmax of a row, ties to the lower id, skipping banned ids and NaN. */
  public static int argmax(FloatBuffer logits, int offset, int vocab, int[] banned) {
    int best = -1;
    float bestValue = Float.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      float value = logits.get(offset + v);
      if ((best < 0 || value > bestValue) && !Float.isNaN(value) && !isBanned(v, banned)) {
        best = v;
        bestValue = value;
      }
    }
    if (best < 0) {
      throw new IllegalStateException("every logit is NaN or banned; the backend produced no usable logits");
    }
    return best;
  }

  /** Fills {@link #order} with allowed tokens by logit descending, ties to the lower id; returns the count. */
  private int sortedCandidates(FloatBuffer logits, int offset, int vocab, int[] banned) {
    if (order.length < vocab) {
      order = new long[vocab];
    }
    int n = 0;
    for (int v = 0; v < vocab; v++) {
      float value = logits.get(offset + v);
      if (!Float.isNaN(value) && value != Float.NEGATIVE_INFINITY && !isBanned(v, banned)) {
        order[n++] = sortKey(value, v);
      }
    }
    if (n == 0) {
      throw new IllegalStateException("every logit is NaN, -inf or banned; the backend produced no usable logits");
    }
    Arrays.sort(order, 0, n);
    return n;
  }

  /** A long whose ascending order is logit descending, then id ascending. */
  private static long sortKey(float value, int token) {
    int bits = Float.floatToIntBits(value == 0f ? 0f : value);
    int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // monotone in value as a signed int
    return ((long) ~ordered << 32) | (token & 0xffffffffL);
  }

  private static int tokenOf(long key) {
    return (int) key;
  }

  private void ensureProbs(int n) {
    if (probs.length < n) {
      probs = new double[n];
    }
  }

  private static boolean isBanned(int token, int[] banned) {
    for (int b : banned) {
      if (b == token) {
        return true;
      }
    }
    return false;
  }
}
