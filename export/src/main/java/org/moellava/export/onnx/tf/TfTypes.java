package org.moellava.export.onnx.tf;

import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.proto.TensorProto;
import org.tensorflow.proto.DataType;

/** TF {@link DataType} to ONNX element type. */
public final class TfTypes {
  private TfTypes() {}

  /** The ONNX element type for {@code type} (reference types map like their value type). */
  public static int onnxElemType(DataType type, String where) {
    DataType base = type.getNumber() > 100 ? DataType.forNumber(type.getNumber() - 100) : type;
    TensorProto.DataType onnx = switch (base) {
      case DT_FLOAT -> TensorProto.DataType.FLOAT;
      case DT_DOUBLE -> TensorProto.DataType.DOUBLE;
      case DT_HALF -> TensorProto.DataType.FLOAT16;
      case DT_BFLOAT16 -> TensorProto.DataType.BFLOAT16;
      case DT_INT8 -> TensorProto.DataType.INT8;
      case DT_UINT8 -> TensorProto.DataType.UINT8;
      case DT_INT16 -> TensorProto.DataType.INT16;
      case DT_UINT16 -> TensorProto.DataType.UINT16;
      case DT_INT32 -> TensorProto.DataType.INT32;
      case DT_UINT32 -> TensorProto.DataType.UINT32;
      case DT_INT64 -> TensorProto.DataType.INT64;
      case DT_UINT64 -> TensorProto.DataType.UINT64;
      case DT_BOOL -> TensorProto.DataType.BOOL;
      default -> throw new InvalidInputException(where + ": TF type " + type + " has no ONNX equivalent");
    };
    return onnx.getNumber();
  }
}
