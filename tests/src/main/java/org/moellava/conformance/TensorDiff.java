package org.moellava.conformance;

/**
 * How far a tensor is from its reference.
 *
 * @param maxAbs {@code max_i |x_i - ref_i|}
 * @param maxRel {@code maxAbs / max_i |ref_i|}: the error relative to the reference's scale (elementwise ratios
 *     are meaningless for values near zero)
 * @param cosine cosine similarity of the two vectors (1 when both are zero)
 * @param elements number of compared elements
 */
public record TensorDiff(double maxAbs, double maxRel, double cosine, long elements) {
  /** No elements compared yet. */
  public static final TensorDiff NONE = new TensorDiff(0, 0, 1, 0);

  /** Compares {@code x} with {@code ref} over {@code [from, from + count)} of each. */
  public static TensorDiff of(float[] x, float[] ref, int from, int count) {
    double maxAbs = 0;
    double maxRef = 0;
    double dot = 0;
    double nx = 0;
    double nr = 0;
    for (int i = from; i < from + count; i++) {
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
    return new TensorDiff(maxAbs, maxRef == 0 ? maxAbs : maxAbs / maxRef, Double.isNaN(cosine) ? 0 : cosine, count);
  }

  /** Compares whole arrays. */
  public static TensorDiff of(float[] x, float[] ref) {
    if (x.length != ref.length) {
      throw new IllegalArgumentException("sizes differ: " + x.length + " vs reference " + ref.length);
    }
    return of(x, ref, 0, x.length);
  }

  /** The worse of two diffs, element counts added. */
  public TensorDiff merge(TensorDiff other) {
    return new TensorDiff(Math.max(maxAbs, other.maxAbs), Math.max(maxRel, other.maxRel),
        Math.min(cosine, other.cosine), elements + other.elements);
  }
}
