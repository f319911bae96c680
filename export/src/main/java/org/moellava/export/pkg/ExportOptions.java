package org.moellava.export.pkg;

import org.moellava.error.InvalidInputException;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.onnx.ExportSpec;
import org.moellava.export.onnx.handlers.OpHandlerRegistry;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.export.tensorrt.TensorRtOptions;

/**
 * Options of {@code moellava export}.
 *
 * @param opset ONNX opset, 17..20
 * @param precision weights and activations
 * @param moeMode how MoE layers are expressed
 * @param tensorRt engines to build, or null for none
 * @param externalDataThreshold models whose weights exceed this many bytes store them as external data
 */
public record ExportOptions(int opset, Precision precision, MoeMode moeMode, TensorRtOptions tensorRt,
    long externalDataThreshold) {

  public ExportOptions {
    if (opset < OpHandlerRegistry.MIN_OPSET || opset > OpHandlerRegistry.MAX_OPSET) {
      throw new InvalidInputException("--opset " + opset + ": supported opsets are " + OpHandlerRegistry.MIN_OPSET
          + ".." + OpHandlerRegistry.MAX_OPSET);
    }
    if (tensorRt != null && moeMode == MoeMode.ORT_FUSED) {
      throw new InvalidInputException("--tensorrt needs --moe standard: TensorRT has no com.microsoft.MoE");
    }
  }

  /** opset 17, fp32, standard MoE, no engines, external data over 2 GB. */
  public static ExportOptions defaults() {
    return new ExportOptions(ExportSpec.DEFAULT_OPSET, Precision.FP32, MoeMode.STANDARD, null,
        OnnxModelWriter.DEFAULT_EXTERNAL_THRESHOLD);
  }

  public ExportOptions withPrecision(Precision p) {
    return new ExportOptions(opset, p, moeMode, tensorRt, externalDataThreshold);
  }

  public ExportOptions withMoeMode(MoeMode m) {
    return new ExportOptions(opset, precision, m, tensorRt, externalDataThreshold);
  }

  public ExportOptions withOpset(int o) {
    return new ExportOptions(o, precision, moeMode, tensorRt, externalDataThreshold);
  }

  public ExportOptions withTensorRt(TensorRtOptions t) {
    return new ExportOptions(opset, precision, moeMode, t, externalDataThreshold);
  }

  public ExportOptions withExternalDataThreshold(long bytes) {
    return new ExportOptions(opset, precision, moeMode, tensorRt, bytes);
  }
}
