package org.moellava.export.quant;

import org.moellava.error.InvalidInputException;
import org.moellava.runtime.conformance.QuantizedTolerance;

/**
 * {@code moellava export --quantize ...}: weight-only quantization of the dense linears and the experts, blockwise
 * ({@code com.microsoft} ops) or per channel ({@code --quant-format qdq}).
 *
 * @param scheme bits, block size, zero points, MatMulNBits accuracy level
 * @param keepLmHeadFp32 leave {@code lm_head} in fp32 ({@code --keep-lm-head-fp32})
 * @param tolerance the thresholds of the export's validation; null for the scheme's defaults
 *     ({@link QuantizedTolerance#forBits})
 * @param quantizeEmbeddings also store the token embedding table blockwise in the scheme
 *     ({@code --quantize-embeddings}: {@code com.microsoft.GatherBlockQuantized}, see
 *     {@link GatherBlockQuantizedRewriter}; with tied embeddings the decoder's {@code lm_head} product with the same
 *     table becomes a MatMulNBits too, unless {@code keepLmHeadFp32})
 * @param format {@link QuantFormat#QOPERATOR} (blockwise {@code com.microsoft} ops) or {@link QuantFormat#QDQ}
 *     ({@code DequantizeLinear -> MatMul}, which takes only {@link QuantScheme#int8PerChannel} and keeps the
 *     embeddings fp32)
 */
public record QuantizeOptions(QuantScheme scheme, boolean keepLmHeadFp32, QuantizedTolerance tolerance,
    boolean quantizeEmbeddings, QuantFormat format) {
  public QuantizeOptions {
    java.util.Objects.requireNonNull(scheme, "scheme");
    java.util.Objects.requireNonNull(format, "format");
    if (format == QuantFormat.QDQ && !scheme.perChannel()) {
      throw new InvalidInputException("--quant-format qdq takes int8 with one scale per output channel, not "
          + scheme.id() + ": blockwise DequantizeLinear needs opset 21, beyond TensorRT 10's ONNX parser (opset <= 20)"
          + " (nothing was written)");
    }
    if (format == QuantFormat.QOPERATOR && scheme.perChannel()) {
      throw new InvalidInputException(scheme.id() + " is written only with --quant-format qdq (nothing was written)");
    }
    if (format == QuantFormat.QDQ && quantizeEmbeddings) {
      throw new InvalidInputException("--quantize-embeddings cannot be combined with --quant-format qdq: the "
          + "quantized lookup is com.microsoft.GatherBlockQuantized, which TensorRT does not have (nothing was written)");
    }
  }

  /** Blockwise ({@link QuantFormat#QOPERATOR}). */
  public QuantizeOptions(QuantScheme scheme, boolean keepLmHeadFp32, QuantizedTolerance tolerance,
      boolean quantizeEmbeddings) {
    this(scheme, keepLmHeadFp32, tolerance, quantizeEmbeddings, QuantFormat.QOPERATOR);
  }

  /**
   * {@code --quantize int8 --quant-format qdq}: {@link QuantScheme#int8PerChannel} as DequantizeLinear, embeddings
   * fp32; {@code tolerance} null for the int8 defaults.
   */
  public static QuantizeOptions qdq(boolean keepLmHeadFp32, QuantizedTolerance tolerance) {
    return new QuantizeOptions(QuantScheme.int8PerChannel(), keepLmHeadFp32, tolerance, false, QuantFormat.QDQ);
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
    return new QuantizeOptions(scheme, keepLmHeadFp32, tolerance, on, format);
  }

  /** The thresholds validation applies. */
  public QuantizedTolerance effectiveTolerance() {
    return tolerance != null ? tolerance : QuantizedTolerance.forBits(scheme.bits());
  }
}
