package org.moellava.export.pkg;

import org.moellava.error.InvalidInputException;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.onnx.ExportSpec;
import org.moellava.export.onnx.handlers.OpHandlerRegistry;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.export.quant.QuantFormat;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.export.tensorrt.TensorRtOptions;

/**
 * Options of {@code moellava export}.
 *
 * @param opset ONNX opset, 17..20
 * @param precision weights and activations
 * @param moeMode how MoE layers are expressed
 * @param tensorRt engines to build, or null for none
 * @param externalDataThreshold models whose weights exceed this many bytes store them as external data
 * @param quantize weight-only int8/int4 quantization, or null for none (fp32 or fp16 weights); with TensorRT only
 *     {@link QuantFormat#QDQ}
 * @param foldShapes run the {@link org.moellava.export.onnx.optimize.ShapePlumbingFolder} (default; off only to
 *     measure what it gives)
 */
public record ExportOptions(int opset, Precision precision, MoeMode moeMode, TensorRtOptions tensorRt,
    long externalDataThreshold, QuantizeOptions quantize, boolean foldShapes) {

  public ExportOptions {
    if (opset < OpHandlerRegistry.MIN_OPSET || opset > OpHandlerRegistry.MAX_OPSET) {
      throw new InvalidInputException("--opset " + opset + ": supported opsets are " + OpHandlerRegistry.MIN_OPSET
          + ".." + OpHandlerRegistry.MAX_OPSET);
    }
    if (tensorRt != null && moeMode == MoeMode.ORT_FUSED) {
      throw new InvalidInputException("--tensorrt needs --moe standard: TensorRT has no com.microsoft.MoE");
    }
    if (quantize != null && precision != Precision.FP32) {
      throw new InvalidInputException("--quantize needs --precision fp32: the weights are quantized from fp32 and "
          + "activations stay fp32 (nothing was written)");
    }
    if (quantize != null && quantize.format() == QuantFormat.QDQ && moeMode == MoeMode.ORT_FUSED) {
      throw new InvalidInputException("--quant-format qdq needs --moe standard: --moe ort-fused quantizes the "
          + "experts inside com.microsoft.QMoE (nothing was written)");
    }
    if (quantize != null && quantize.format() != QuantFormat.QDQ && tensorRt != null) {
      throw new InvalidInputException("--quantize with --tensorrt needs --quant-format qdq: TensorRT has no "
          + "com.microsoft.MatMulNBits (nothing was written)");
    }
  }

  /** With the shape plumbing folded. */
  public ExportOptions(int opset, Precision precision, MoeMode moeMode, TensorRtOptions tensorRt,
      long externalDataThreshold, QuantizeOptions quantize) {
    this(opset, precision, moeMode, tensorRt, externalDataThreshold, quantize, true);
  }

  /** Without quantization. */
  public ExportOptions(int opset, Precision precision, MoeMode moeMode, TensorRtOptions tensorRt,
      long externalDataThreshold) {
    this(opset, precision, moeMode, tensorRt, externalDataThreshold, null);
  }

  /** opset 17, fp32, standard MoE, no engines, external data over 2 GB. */
  public static ExportOptions defaults() {
    return new ExportOptions(ExportSpec.DEFAULT_OPSET, Precision.FP32, MoeMode.STANDARD, null,
        OnnxModelWriter.DEFAULT_EXTERNAL_THRESHOLD);
  }

  public ExportOptions withPrecision(Precision p) {
    return new ExportOptions(opset, p, moeMode, tensorRt, externalDataThreshold, quantize, foldShapes);
  }

  public ExportOptions withMoeMode(MoeMode m) {
    return new ExportOptions(opset, precision, m, tensorRt, externalDataThreshold, quantize, foldShapes);
  }

  public ExportOptions withOpset(int o) {
    return new ExportOptions(o, precision, moeMode, tensorRt, externalDataThreshold, quantize, foldShapes);
  }

  public ExportOptions withTensorRt(TensorRtOptions t) {
    return new ExportOptions(opset, precision, moeMode, t, externalDataThreshold, quantize, foldShapes);
  }

  public ExportOptions withExternalDataThreshold(long bytes) {
    return new ExportOptions(opset, precision, moeMode, tensorRt, bytes, quantize, foldShapes);
  }

  public ExportOptions withQuantize(QuantizeOptions q) {
    return new ExportOptions(opset, precision, moeMode, tensorRt, externalDataThreshold, q, foldShapes);
  }

  /** With or without the shape-plumbing folder ({@code --no-fold-shapes}). */
  public ExportOptions withFoldShapes(boolean fold) {
    return new ExportOptions(opset, precision, moeMode, tensorRt, externalDataThreshold, quantize, fold);
  }
}
