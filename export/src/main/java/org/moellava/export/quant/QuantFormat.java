package org.moellava.export.quant;

import org.moellava.error.InvalidInputException;

/**
 * How a quantized package expresses its integer weights in ONNX ({@code --quant-format}), named after ONNX Runtime's
 * quantization tool ({@code QuantFormat.QOperator} / {@code QuantFormat.QDQ}).
 */
public enum QuantFormat {
  /**
   * Operators that consume the codes: {@code com.microsoft.MatMulNBits}, {@code QMoE}, {@code GatherBlockQuantized}
   * (ONNX Runtime only; blockwise int8 or int4). The default.
   */
  QOPERATOR("qoperator"),
  /**
   * Default-domain {@code DequantizeLinear -> MatMul}: int8 weights with one scale per output channel (opset 13..20),
   * which TensorRT 10's ONNX parser takes as an explicitly quantized network.
   */
  QDQ("qdq");

  private final String id;

  QuantFormat(String id) {
    this.id = id;
  }

  /** The command-line and {@code model.json} name. */
  public String id() {
    return id;
  }

  /** {@code qoperator} or {@code qdq}. */
  public static QuantFormat parse(String name) {
    for (QuantFormat f : values()) if (f.id.equals(name)) return f;
    throw new InvalidInputException("--quant-format " + name + ": unknown format (qoperator, qdq)");
  }
}
