package org.moellava.runtime.conformance;

import java.util.Arrays;
import java.util.function.IntPredicate;
import org.moellava.tensor.TensorValue;

/**
 * How far a tensor is from its reference.
 *
 * @param maxAbs {@code max_i |x_i - ref_i|} (infinite where either value is NaN)
 * @param maxRel {@code maxAbs / max_i |ref_i|}, or {@code maxAbs} when the reference is all zeros: the error
 *     relative to the reference's scale (elementwise ratios are meaningless for values near zero). Merged diffs keep
 *     the worst part's, so a tensor compared row by row is judged against each row's own scale
 * @param cosine cosine similarity of the two vectors (1 when both are zero)
 * @param elements number of compared elements
 */
public record TensorDiff(double maxAbs, double maxRel, double cosine, long elements) {
  /** No elements compared yet. */
  public static final TensorDiff NONE = new TensorDiff(0, 0, 1, 0);
  /** Tensors that cannot be compared (their shapes differ). */
  public static final TensorDiff INCOMPARABLE =
      new TensorDiff(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, 0);

  /** Compares {@code x} with {@code ref} over {@code [from, from + count)} of each. */
  public static TensorDiff of(float[] x, float[] ref, int from, int count) {
    return of(x, ref, from, count, i -> true);
  }

  /** Compares whole arrays. */
  public static TensorDiff of(float[] x, float[] ref) {
    if (x.length != ref.length) {
      throw new IllegalArgumentException("sizes differ: " + x.length + " vs reference " + ref.length);
    }
    return of(x, ref, 0, x.length);
  }

  /**
   * Compares {@code actual} with {@code reference} over the flat indices {@code keep} accepts, against the scale of
   * those elements; {@link #INCOMPARABLE} when the shapes differ.
   */
  public static TensorDiff of(TensorValue actual, TensorValue reference, IntPredicate keep) {
    if (!Arrays.equals(actual.shape(), reference.shape())) return INCOMPARABLE;
    return of(actual.data(), reference.data(), 0, reference.data().length, keep);
  }

  /** Compares whole tensors; {@link #INCOMPARABLE} when the shapes differ. */
  public static TensorDiff of(TensorValue actual, TensorValue reference) {
    return of(actual, reference, i -> true);
  }

  /**
   * Compares {@code actual} with {@code reference} row by row (rows of the last axis, e.g. one position's logits),
   * each against its own scale, over the rows {@code keepRow} accepts, merged; {@link #INCOMPARABLE} when the
   * shapes differ.
   */
  public static TensorDiff rows(TensorValue actual, TensorValue reference, IntPredicate keepRow) {
    if (!Arrays.equals(actual.shape(), reference.shape())) return INCOMPARABLE;
    long[] shape = reference.shape();
    int width = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
    TensorDiff out = NONE;
    if (width == 0) return out;
    int rows = reference.data().length / width;
    for (int r = 0; r < rows; r++) {
      if (keepRow.test(r)) out = out.merge(of(actual.data(), reference.data(), r * width, width));
    }
    return out;
  }

  private static TensorDiff of(float[] x, float[] ref, int from, int count, IntPredicate keep) {
    double maxAbs = 0;
    double maxRef = 0;
    double dot = 0;
    double nx = 0;
    double nr = 0;
    long n = 0;
    for (int i = from; i < from + count; i++) {
      if (!keep.test(i)) continue;
      n++;
      double a = x[i];
      double b = ref[i];
      double d = Math.abs(a - b);
      if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
      maxAbs = Math.max(maxAbs, d);
      maxRef = Math.max(maxRef, Math.abs(b));
      dot += a * b;
      nx += a * a;
      nr += b * b;
    }
    double cosine = nx == 0 && nr == 0 ? 1 : dot / Math.sqrt(nx * nr);
    double maxRel = maxRef == 0 || Double.isInfinite(maxAbs) ? maxAbs : maxAbs / maxRef;
    return new TensorDiff(maxAbs, maxRel, Double.isNaN(cosine) ? 0 : cosine, n);
  }

  /** Whether the relative error is within {@code tolerance} (never for NaN). */
  public boolean within(Tolerance tolerance) {
    return maxRel <= tolerance.relative();
  }

  /** The worse of two diffs, element counts added. */
  public TensorDiff merge(TensorDiff other) {
    return new TensorDiff(Math.max(maxAbs, other.maxAbs), Math.max(maxRel, other.maxRel),
        Math.min(cosine, other.cosine), elements + other.elements);
  }
}
