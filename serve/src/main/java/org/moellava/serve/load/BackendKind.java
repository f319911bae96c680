package org.moellava.serve.load;

import java.util.Locale;
import org.moellava.error.InvalidInputException;

/** The backends a model can be served with. */
public enum BackendKind {
  /** ONNX Runtime on a model package. */
  ORT,
  /** TensorRT plans in a model package. */
  TRT,
  /** TensorFlow Java on a checkpoint. */
  TF;

  /** Parses {@code ort}, {@code trt} or {@code tf}. */
  public static BackendKind parse(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "ort", "onnxruntime" -> ORT;
      case "trt", "tensorrt" -> TRT;
      case "tf", "tensorflow" -> TF;
      default -> throw new InvalidInputException("unknown backend '" + name + "' (ort, trt, tf)");
    };
  }
}
