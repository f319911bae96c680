package org.moellava.export.onnx.tf;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.graph.ElemType;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** Conversions between TF tensor protos, TF Java tensors and {@link ConstTensor}. */
public final class TfTensors {
  private TfTensors() {}

  /** Decodes a TF {@code TensorProto} (packed {@code tensor_content} or the typed value lists). */
  public static ConstTensor decode(TensorProto proto, String where) {
    int elemType = TfTypes.onnxElemType(proto.getDtype(), where);
    long[] shape = proto.getTensorShape().getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize)
        .toArray();
    long n = ConstTensor.numElements(shape);
    int width = ElemType.byteSize(elemType);
    if (!proto.getTensorContent().isEmpty()) {
      return new ConstTensor(elemType, shape, proto.getTensorContent().toByteArray());
    }
    ByteBuffer out = ByteBuffer.allocate((int) (n * width)).order(ByteOrder.LITTLE_ENDIAN);
    DataType t = proto.getDtype();
    int count = switch (t) {
      case DT_FLOAT -> proto.getFloatValCount();
      case DT_DOUBLE -> proto.getDoubleValCount();
      case DT_INT32, DT_INT16, DT_INT8, DT_UINT8, DT_UINT16 -> proto.getIntValCount();
      case DT_INT64 -> proto.getInt64ValCount();
      case DT_BOOL -> proto.getBoolValCount();
      case DT_HALF, DT_BFLOAT16 -> proto.getHalfValCount();
      default -> throw new InvalidInputException(where + ": cannot read a constant of TF type " + t);
    };
    for (long i = 0; i < n && count > 0; i++) {
      int k = (int) Math.min(i, count - 1); // TF repeats the last value to fill the shape
      switch (t) {
        case DT_FLOAT -> out.putFloat(proto.getFloatVal(k));
        case DT_DOUBLE -> out.putDouble(proto.getDoubleVal(k));
        case DT_INT32 -> out.putInt(proto.getIntVal(k));
        case DT_INT16, DT_UINT16 -> out.putShort((short) proto.getIntVal(k));
        case DT_INT8, DT_UINT8 -> out.put((byte) proto.getIntVal(k));
        case DT_INT64 -> out.putLong(proto.getInt64Val(k));
        case DT_BOOL -> out.put((byte) (proto.getBoolVal(k) ? 1 : 0));
        case DT_HALF, DT_BFLOAT16 -> out.putShort((short) proto.getHalfVal(k));
        default -> throw new IllegalStateException();
      }
    }
    return new ConstTensor(elemType, shape, out.array());
  }

  /** A TF {@code TensorProto} holding the contents of a TF Java tensor of a fixed-width type. */
  public static TensorProto encode(Tensor tensor) {
    byte[] bytes = new byte[(int) tensor.numBytes()];
    tensor.asRawTensor().data().read(bytes);
    return TensorProto.newBuilder().setDtype(tensor.dataType()).setTensorShape(shape(tensor.shape().asArray()))
        .setTensorContent(ByteString.copyFrom(bytes)).build();
  }

  /** A TF shape proto for known {@code dims}. */
  public static TensorShapeProto shape(long[] dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    return s.build();
  }
}
