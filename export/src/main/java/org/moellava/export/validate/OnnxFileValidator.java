package org.moellava.export.validate;

import java.nio.file.Path;
import org.bytedeco.onnx.global.onnx;
import org.moellava.error.InvalidInputException;

/** The reference ONNX checker (bytedeco onnx 1.17) with full_check, i.e. with strict shape inference, on a file. */
public final class OnnxFileValidator {
  private OnnxFileValidator() {}

  /** Checks {@code file} (external data beside it is read too); a problem is one line naming the file. */
  public static void check(Path file) {
    try {
      onnx.check_model(file.toAbsolutePath().toString(), true, false, false);
    } catch (RuntimeException e) {
      String m = String.valueOf(e.getMessage());
      int nl = m.indexOf('\n');
      throw new InvalidInputException(file + ": ONNX checker failed: " + (nl < 0 ? m : m.substring(0, nl)), e);
    }
  }
}
