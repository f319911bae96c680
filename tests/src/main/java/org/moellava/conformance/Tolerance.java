package org.moellava.conformance;

/**
 * Pass/fail thresholds of a backend pair.
 *
 * @param relative largest allowed {@link TensorDiff#maxRel} of features, logits and router logits
 * @param routingMargin a routing disagreement fails only where the reference's margin between the k-th and
 *     (k+1)-th router logit exceeds this; below it the flip is a near tie, counted and reported separately
 */
public record Tolerance(double relative, double routingMargin) {
  /** fp32 packages: 1e-4 relative, 1e-4 routing margin. */
  public static final Tolerance FP32 = new Tolerance(1e-4, 1e-4);
  /** fp16 packages: 1e-2 relative, 1e-2 routing margin. */
  public static final Tolerance FP16 = new Tolerance(1e-2, 1e-2);

  /** The tolerance for a package precision, {@code fp32} or {@code fp16}. */
  public static Tolerance forPrecision(String precision) {
    return "fp16".equals(precision) ? FP16 : FP32;
  }
}
