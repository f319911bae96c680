package org.moellava.tensor;

import java.nio.FloatBuffer;

/**
 * The {@code k} largest of a row of values, as every backend routes tokens to experts: indices best first, equal
 * values to the lower index (TensorFlow's {@code TopKV2} and ONNX {@code TopK} with {@code sorted=1}).
 *
 * <p>Order: a larger value comes first; equal values ({@code -0.0 == 0.0}) come in index order; NaN ranks below
 * every number, {@code -Infinity} included, so a NaN is chosen only when fewer than {@code k} values are numbers,
 * and several NaNs come in index order. Each index appears at most once.
 */
public final class TopK {
  private TopK() {}

  /**
   * The indices (relative to {@code offset}) of the {@code k} best of {@code values[offset, offset + count)}, best
   * first.
   *
   * @throws IllegalArgumentException unless {@code 0 <= k <= count} and the row lies inside {@code values}
   */
  public static int[] of(float[] values, int offset, int count, int k) {
    check(values.length, offset, count, k);
    int[] chosen = new int[k];
    boolean[] taken = new boolean[count];
    for (int c = 0; c < k; c++) {
      int best = -1;
      for (int i = 0; i < count; i++) {
        if (!taken[i] && (best < 0 || better(values[offset + i], values[offset + best]))) best = i;
      }
      taken[best] = true;
      chosen[c] = best;
    }
    return chosen;
  }

  /**
   * As {@link #of(float[], int, int, int)} over {@code values.get(offset + i)}: absolute reads below the buffer's
   * limit; its position is neither used nor changed.
   */
  public static int[] of(FloatBuffer values, int offset, int count, int k) {
    check(values.limit(), offset, count, k);
    int[] chosen = new int[k];
    boolean[] taken = new boolean[count];
    for (int c = 0; c < k; c++) {
      int best = -1;
      float bestValue = 0;
      for (int i = 0; i < count; i++) {
        if (taken[i]) continue;
        float v = values.get(offset + i);
        if (best < 0 || better(v, bestValue)) {
          best = i;
          bestValue = v;
        }
      }
      taken[best] = true;
      chosen[c] = best;
    }
    return chosen;
  }

  /** Whether {@code a} at a higher index beats the current best {@code b} at a lower one. */
  private static boolean better(float a, float b) {
    if (Float.isNaN(a)) return false;
    return Float.isNaN(b) || a > b;
  }

  private static void check(int length, int offset, int count, int k) {
    if (k < 0 || k > count) throw new IllegalArgumentException("top-" + k + " of " + count + " values");
    if (offset < 0 || count < 0 || (long) offset + count > length) {
      throw new IllegalArgumentException("row [" + offset + ", " + ((long) offset + count) + ") outside " + length
          + " values");
    }
  }
}
