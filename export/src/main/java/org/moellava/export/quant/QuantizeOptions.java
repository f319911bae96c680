package org.moellava.export.quant;

import org.moellava.runtime.conformance.QuantizedTolerance;

/**
 * {@code moellava export --quantize ...}: weight-only blockwise quantization of the dense linears and the experts.
 *
 * @param scheme bits, block size, zero points, MatMulNBits accuracy level
 * @param keepLmHeadFp32 leave {@code lm_head} in fp32 ({@code --keep-lm-head-fp32})
 * @param tolerance the thresholds of the export's validation; null for the scheme's defaults
 *     ({@link QuantizedTolerance#forBits})
 * @param quantizeEmbeddings also store the token embedding table blockwise in the scheme
 *     ({@code --quantize-embeddings}: {@code com.microsoft.GatherBlockQuantized}, see
 *     {@link GatherBlockQuantizedRewriter}; with tied embeddings the decoder's {@code lm_head} product with the same
 *     table becomes a MatMulNBits too, unless {@code keepLmHeadFp32})
 */
public record QuantizeOptions(QuantScheme scheme, boolean keepLmHeadFp32, QuantizedTolerance tolerance,
    boolean quantizeEmbeddings) {
  public QuantizeOptions {
    java.util.Objects.requireNonNull(scheme, "scheme");
  }

  /** Embeddings kept fp32 (the default). */
  public QuantizeOptions(QuantScheme scheme, boolean keepLmHeadFp32, QuantizedTolerance tolerance) {
    this(scheme, keepLmHeadFp32, tolerance, false);
  }

  /** With the scheme's default thresholds, embeddings kept fp32. */
  public QuantizeOptions(QuantScheme scheme, boolean keepLmHeadFp32) {
    this(scheme, keepLmHeadFp32, null, false);
  }

  /** The same with {@code --quantize-embeddings} set to {@code on}. */
  public QuantizeOptions withQuantizeEmbeddings(boolean on) {
    return new QuantizeOptions(scheme, keepLmHeadFp32, tolerance, on);
  }

  /** The thresholds validation applies. */
  public QuantizedTolerance effectiveTolerance() {
    return tolerance != null ? tolerance : QuantizedTolerance.forBits(scheme.bits());
  }
}
