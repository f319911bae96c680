package org.moellava.export.onnx.graph;

import org.moellava.export.onnx.proto.TensorProto;

/** ONNX element types ({@code TensorProto.DataType}) with their byte widths. */
public final class ElemType {
  private ElemType() {}

  /** Bytes per element of ONNX element type {@code elemType}; fails for types without a fixed width. */
  public static int byteSize(int elemType) {
    TensorProto.DataType t = TensorProto.DataType.forNumber(elemType);
    if (t == null) {
      throw new IllegalArgumentException("unknown ONNX element type " + elemType);
    }
    return switch (t) {
      case FLOAT, INT32, UINT32 -> 4;
      case DOUBLE, INT64, UINT64 -> 8;
      case BOOL, INT8, UINT8 -> 1;
      case FLOAT16, BFLOAT16, INT16, UINT16 -> 2;
      default -> throw new IllegalArgumentException("ONNX element type " + t + " has no fixed byte width");
    };
  }

  /** The ONNX name of {@code elemType}, e.g. {@code FLOAT}. */
  public static String name(int elemType) {
    TensorProto.DataType t = TensorProto.DataType.forNumber(elemType);
    return t == null ? "type#" + elemType : t.name();
  }
}
