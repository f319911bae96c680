package org.moellava.export.onnx;

import java.nio.file.Path;
import org.bytedeco.onnx.global.onnx;

/** The reference ONNX checker (bytedeco onnx 1.17) with full_check: strict shape inference included. */
final class OnnxChecker {
  private OnnxChecker() {}

  /** Throws if the model file at {@code file} is not valid ONNX. */
  static void checkFull(Path file) {
    onnx.check_model(file.toAbsolutePath().toString(), true, false, false);
  }
}
