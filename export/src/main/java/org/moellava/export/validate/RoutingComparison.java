package org.moellava.export.validate;

import org.moellava.tensor.TensorValue;
import org.moellava.tensor.TopK;

/**
 * Compares the top-k expert choices of two router-logit tensors {@code [N, E]}. A token whose choices differ is a
 * near-tie (allowed) when the reference's margin between its k-th and (k+1)-th logit is below {@code margin},
 * otherwise a mismatch.
 *
 * @param tokens tokens compared
 * @param mismatches tokens with different choices and a clear margin
 * @param nearTies tokens with different choices within the margin
 * @param nearTieTokens the indices of those tokens
 */
public record RoutingComparison(int tokens, int mismatches, int nearTies, java.util.List<Integer> nearTieTokens) {
  public RoutingComparison {
    nearTieTokens = java.util.List.copyOf(nearTieTokens);
  }

  /** Compares {@code expected} (the reference) with {@code actual}, top {@code k}. */
  public static RoutingComparison compare(TensorValue expected, TensorValue actual, int k, double margin) {
    int n = (int) expected.shape()[0];
    int e = (int) expected.shape()[1];
    if (actual.shape().length != 2 || actual.shape()[0] != n || actual.shape()[1] != e) {
      return new RoutingComparison(n, n, 0, java.util.List.of());
    }
    int mismatches = 0;
    java.util.List<Integer> ties = new java.util.ArrayList<>();
    for (int t = 0; t < n; t++) {
      int[] a = topK(expected.data(), t * e, e, k + 1);
      int[] b = topK(actual.data(), t * e, e, k);
      if (sameSet(a, b, k)) continue;
      double gap = k < e ? expected.data()[t * e + a[k - 1]] - expected.data()[t * e + a[k]] : Double.MAX_VALUE;
      if (gap < margin) ties.add(t);
      else mismatches++;
    }
    return new RoutingComparison(n, mismatches, ties.size(), ties);
  }

  /** Indices of the {@code count} largest of {@code row}, best first; ties to the lower index. */
  static int[] topK(float[] data, int offset, int width, int count) {
    return TopK.of(data, offset, width, Math.min(count, width));
  }

  private static boolean sameSet(int[] a, int[] b, int k) {
    for (int i = 0; i < k; i++) {
      boolean found = false;
      for (int j = 0; j < k; j++) found |= a[i] == b[j];
      if (!found) return false;
    }
    return true;
  }

}
