package org.moellava.export.onnx.lint;

/**
 * One thing TensorRT's ONNX parser would reject.
 *
 * @param where the node name (or "model", "input 'x'", "initializer 'w'")
 * @param opType the node's op type, or empty for non-node findings
 * @param rule a short stable rule id, e.g. {@code topk-sorted}
 * @param message what is wrong, in one line
 */
public record LintViolation(String where, String opType, String rule, String message) {
  @Override
  public String toString() {
    return where + (opType.isEmpty() ? "" : " (" + opType + ")") + ": [" + rule + "] " + message;
  }
}
