package org.moellava.runtime.conformance;

/**
 * Pass/fail threshold of a candidate against the reference.
 *
 * @param relative largest allowed {@link TensorDiff#maxRel} of features, logits and router logits; it also bounds
 *     the near-tie flips of top-k decisions ({@link NearTie}): a flip is allowed only where an error within this
 *     tolerance could cause it
 */
public record Tolerance(double relative) {
  /** fp32 packages: 1e-4. */
  public static final Tolerance FP32 = new Tolerance(1e-4);
  /** fp16 packages: 1e-2. */
  public static final Tolerance FP16 = new Tolerance(1e-2);

  public Tolerance {
    if (!(relative >= 0)) throw new IllegalArgumentException("relative tolerance " + relative + " must be >= 0");
  }

  /** The tolerance for a package precision, {@code fp32} or {@code fp16}. */
  public static Tolerance forPrecision(String precision) {
    return "fp16".equals(precision) ? FP16 : FP32;
  }
}
