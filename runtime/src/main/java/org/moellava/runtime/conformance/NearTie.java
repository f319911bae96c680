package org.moellava.runtime.conformance;

import org.moellava.tensor.TopK;

/**
 * The near-tie rule, one for every top-k decision a backend makes from a row of scores: the experts of a token
 * (k = experts per token, over its router logits) and the greedy token of a row (k = 1, over its logits).
 *
 * <p>A candidate whose choice {@code X} differs from the reference's {@code R} made a <em>near-tie flip</em>
 * (allowed, counted) when
 *
 * <pre>  gap = max_{j in R \ X} ref_j - min_{i in X \ R} ref_i  &lt;=  2 * tolerance * max_i |ref_i|</pre>
 *
 * and a <em>flip</em> (a failure) otherwise. The right side is the reach of an error within tolerance: a candidate
 * whose scores on this row are within {@code tolerance} of the reference (relative to the row's largest magnitude,
 * as {@link TensorDiff} measures it row by row) moves each score by at most {@code tolerance * max|ref|}, so it can
 * overturn the reference's preference of {@code j} over {@code i} only where {@code ref_j - ref_i} is at most twice
 * that. The left side is exactly the smallest such preference the choice {@code X} overturns: {@code X} beats
 * {@code R} only if every dropped index falls to or below every added one. Hence: near-tie if and only if some
 * within-tolerance error explains the observed choice; a flip always comes with an error beyond tolerance on that
 * row, and says where. Exact reference ties ({@code gap = 0}) are always near-ties. The gap is never smaller than
 * the reference's k-th/(k+1)-th {@linkplain #margin margin}, the weakest gap any flip must overturn.
 *
 * <p>NaN follows {@link TopK}: a row with NaN scores has a NaN allowance or gap, so every differing choice on it is a
 * flip.
 */
public final class NearTie {
  private NearTie() {}

  /**
   * Judges the candidate's choice against the reference's on the reference's row
   * {@code reference[offset, offset + count)}; the choices hold indices relative to {@code offset}.
   */
  public static Decision judge(float[] reference, int offset, int count, int[] referenceChoice, int[] choice,
      Tolerance tolerance) {
    double allowance = allowance(reference, offset, count, tolerance);
    if (sameSet(referenceChoice, choice)) return new Decision(Decision.Kind.SAME, 0, allowance);
    double gap = gap(reference, offset, referenceChoice, choice);
    return new Decision(gap <= allowance ? Decision.Kind.NEAR_TIE : Decision.Kind.FLIP, gap, allowance);
  }

  /**
   * {@code max_{j in R \ X} ref_j - min_{i in X \ R} ref_i} for the reference's choice {@code R} and a differing
   * choice {@code X} of the same size; {@code -Infinity} when the two are the same set.
   */
  public static double gap(float[] reference, int offset, int[] referenceChoice, int[] choice) {
    double dropped = Double.NEGATIVE_INFINITY;
    for (int j : referenceChoice) {
      if (!contains(choice, j)) dropped = Math.max(dropped, reference[offset + j]);
    }
    double added = Double.POSITIVE_INFINITY;
    for (int i : choice) {
      if (!contains(referenceChoice, i)) added = Math.min(added, reference[offset + i]);
    }
    if (dropped == Double.NEGATIVE_INFINITY && added == Double.POSITIVE_INFINITY) return Double.NEGATIVE_INFINITY;
    return dropped - added;
  }

  /** {@code 2 * tolerance * max_i |ref_i|} over the row: the largest gap an error within tolerance can overturn. */
  public static double allowance(float[] reference, int offset, int count, Tolerance tolerance) {
    double scale = 0;
    for (int i = offset; i < offset + count; i++) scale = Math.max(scale, Math.abs(reference[i]));
    return 2 * tolerance.relative() * scale;
  }

  /**
   * The gap between the k-th and (k+1)-th largest of {@code values[offset, offset + count)} in {@link TopK}'s
   * order; infinite when there is no (k+1)-th.
   */
  public static double margin(float[] values, int offset, int count, int k) {
    if (k >= count) return Double.POSITIVE_INFINITY;
    int[] top = TopK.of(values, offset, count, k + 1);
    return (double) values[offset + top[k - 1]] - values[offset + top[k]];
  }

  /** Whether two index lists hold the same set (each index at most once, as {@link TopK} returns them). */
  public static boolean sameSet(int[] a, int[] b) {
    if (a.length != b.length) return false;
    for (int x : a) {
      if (!contains(b, x)) return false;
    }
    return true;
  }

  private static boolean contains(int[] values, int x) {
    for (int v : values) {
      if (v == x) return true;
    }
    return false;
  }
}
