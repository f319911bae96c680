package org.moellava.serve.engine;

/**
 * How many prompt positions the next prefill chunk computes. While other sequences decode, a chunk runs between two
 * of their decode steps and so adds its time to their inter-token latency: it is sized to take about
 * {@link #SHARE_OF_DECODE_STEP} of a decode step, from the measured cost of both (exponential moving averages),
 * between {@link #MIN_CHUNK} and the configured chunk. With nothing decoding, a chunk is the configured size. So the
 * streams' inter-token latency stays near 1.25 decode steps (plus a chunk call's fixed cost) on any model and
 * machine, and a long prompt is not cut finer than it needs to be. (A half step measured 2.36x the quiet p99 on
 * {@code small}, over the 2x target; a quarter, 1.78x.) Scheduler thread only.
 */
final class ChunkSizer {
  /** A chunk's target time, as a share of a decode step. */
  static final double SHARE_OF_DECODE_STEP = 0.25;
  /** The smallest chunk: below it, a call's fixed cost dominates. */
  static final int MIN_CHUNK = 8;
  private static final double SMOOTHING = 0.3;

  private double decodeStepNanos = -1;
  private double prefillNanosPerToken = -1;

  /** A decode step took {@code nanos}. */
  void decodeStep(long nanos) {
    decodeStepNanos = average(decodeStepNanos, nanos);
  }

  /** A prefill chunk of {@code tokens} positions took {@code nanos}. */
  void prefillChunk(int tokens, long nanos) {
    if (tokens > 0) {
      prefillNanosPerToken = average(prefillNanosPerToken, (double) nanos / tokens);
    }
  }

  /**
   * The next chunk's positions, at most {@code configured}.
   *
   * @param othersDecode whether other sequences are decoding between the chunks
   */
  int chunkTokens(int configured, boolean othersDecode) {
    if (!othersDecode || decodeStepNanos < 0 || prefillNanosPerToken <= 0) {
      return configured;
    }
    long fits = (long) (SHARE_OF_DECODE_STEP * decodeStepNanos / prefillNanosPerToken);
    return (int) Math.max(Math.min(MIN_CHUNK, configured), Math.min(configured, fits));
  }

  private static double average(double current, double sample) {
    return current < 0 ? sample : (1 - SMOOTHING) * current + SMOOTHING * sample;
  }
}
