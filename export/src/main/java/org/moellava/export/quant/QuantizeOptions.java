package org.moellava.export.quant;

import org.moellava.runtime.conformance.QuantizedTolerance;

/**
 * {@code moellava export --quantize ...}: weight-only blockwise quantization of the dense linears and the experts.
 *
 * @param scheme bits, block size, zero points, MatMulNBits accuracy level
 * @param keepLmHeadFp32 leave {@code lm_head} in fp32 ({@code --keep-lm-head-fp32})
 * @param tolerance the thresholds of the export's validation; null for the scheme's defaults
 *     ({@link QuantizedTolerance#forBits})
 */
public record QuantizeOptions(QuantScheme scheme, boolean keepLmHeadFp32, QuantizedTolerance tolerance) {
  public QuantizeOptions {
    java.util.Objects.requireNonNull(scheme, "scheme");
  }

  /** With the scheme's default thresholds. */
  public QuantizeOptions(QuantScheme scheme, boolean keepLmHeadFp32) {
    this(scheme, keepLmHeadFp32, null);
  }

  /** The thresholds validation applies. */
  public QuantizedTolerance effectiveTolerance() {
    return tolerance != null ? tolerance : QuantizedTolerance.forBits(scheme.bits());
  }
}
