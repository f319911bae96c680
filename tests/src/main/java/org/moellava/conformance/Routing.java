package org.moellava.conformance;

import java.util.Arrays;
import org.moellava.tensor.TopK;

/** Top-k routing decisions on plain arrays: ties go to the lower expert index, as in every backend. */
public final class Routing {
  private Routing() {}

  /** The {@code k} best indices of {@code values[offset, offset+count)}, best first, ties to the lower index. */
  public static int[] topK(float[] values, int offset, int count, int k) {
    return TopK.of(values, offset, count, k);
  }

  /** The gap between the k-th and (k+1)-th largest values (infinite when there is no (k+1)-th). */
  public static double margin(float[] values, int offset, int count, int k) {
    if (k >= count) return Double.POSITIVE_INFINITY;
    float[] sorted = Arrays.copyOfRange(values, offset, offset + count);
    Arrays.sort(sorted);
    return (double) sorted[count - k] - sorted[count - k - 1];
  }

  /** Whether two expert lists hold the same set. */
  public static boolean sameSet(int[] a, int[] b) {
    int[] x = a.clone();
    int[] y = b.clone();
    Arrays.sort(x);
    Arrays.sort(y);
    return Arrays.equals(x, y);
  }
}
