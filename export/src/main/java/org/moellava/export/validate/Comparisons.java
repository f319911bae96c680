package org.moellava.export.validate;

import org.moellava.tensor.TensorValue;

/**
 * The greedy token that {@link ConformanceCheck} feeds both backends. Error measures and the near-tie rule are the
 * conformance engine's ({@code org.moellava.runtime.conformance}).
 */
public final class Comparisons {
  private Comparisons() {}

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
