package org.moellava.analysis;

/** Router top-k as the model computes it: the k largest logits, ties going to the lower expert index. */
public final class TopK {
  private TopK() {}

  /**
   * The indices of the {@code k} largest of {@code row[offset .. offset+n)}, largest first; among equal values
   * the lower index comes first.
   */
  public static int[] indices(float[] row, int offset, int n, int k) {
    if (k < 1 || k > n) throw new IllegalArgumentException("k must be in [1, " + n + "], got " + k);
    int[] top = new int[k];
    boolean[] taken = new boolean[n];
    for (int slot = 0; slot < k; slot++) {
      int best = -1;
      for (int j = 0; j < n; j++) {
        if (!taken[j] && (best < 0 || row[offset + j] > row[offset + best])) best = j;
      }
      taken[best] = true;
      top[slot] = best;
    }
    return top;
  }
}
