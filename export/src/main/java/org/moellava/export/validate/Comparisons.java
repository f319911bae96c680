package org.moellava.export.validate;

import org.moellava.tensor.TensorValue;

/** Error measures between a reference tensor (TF) and a tensor under test (the package). */
public final class Comparisons {
  private Comparisons() {}

  /**
   * {@code max|actual - expected| / max(max|expected|, 1e-6)}: the largest error relative to the reference's
   * scale; infinite when the shapes differ.
   */
  public static double relativeError(TensorValue expected, TensorValue actual) {
    return relativeError(expected, actual, i -> true);
  }

  /** As {@link #relativeError(TensorValue, TensorValue)} over the flat indices {@code keep} accepts. */
  public static double relativeError(TensorValue expected, TensorValue actual, java.util.function.IntPredicate keep) {
    if (!java.util.Arrays.equals(expected.shape(), actual.shape())) return Double.POSITIVE_INFINITY;
    double scale = 1e-6;
    double worst = 0;
    float[] e = expected.data();
    float[] a = actual.data();
    for (int i = 0; i < e.length; i++) {
      if (!keep.test(i)) continue;
      scale = Math.max(scale, Math.abs(e[i]));
      double d = Math.abs((double) a[i] - e[i]);
      if (Double.isNaN(d)) return Double.POSITIVE_INFINITY;
      worst = Math.max(worst, d);
    }
    return worst / scale;
  }

  /** The index of the largest value in each row of {@code logits [..., V]} at the last position of each row. */
  public static int[] lastTokenArgmax(TensorValue logits) {
    return lastTokenArgmax(logits, -1);
  }

  /** As {@link #lastTokenArgmax(TensorValue)} never choosing {@code excluded} (the image placeholder). */
  public static int[] lastTokenArgmax(TensorValue logits, int excluded) {
    long[] s = logits.shape(); // [B, S, V]
    int batch = (int) s[0];
    int seq = (int) s[1];
    int vocab = (int) s[2];
    int[] out = new int[batch];
    for (int b = 0; b < batch; b++) {
      int base = (b * seq + seq - 1) * vocab;
      int best = excluded == 0 ? 1 : 0;
      for (int v = best + 1; v < vocab; v++) {
        if (v != excluded && logits.data()[base + v] > logits.data()[base + best]) best = v;
      }
      out[b] = best;
    }
    return out;
  }
}
