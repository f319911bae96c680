package org.moellava.export.onnx.graph;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * A constant tensor known at export time: ONNX element type, shape and its elements as little-endian bytes
 * in row-major order (the layout of ONNX {@code raw_data}).
 *
 * @param elemType ONNX {@code TensorProto.DataType} number
 * @param shape dimensions, outermost first; empty for a scalar
 * @param data little-endian element bytes; length = product(shape) * byteSize(elemType)
 */
public record ConstTensor(int elemType, long[] shape, byte[] data) {

  public ConstTensor {
    shape = shape.clone();
    long expected = numElements(shape) * ElemType.byteSize(elemType);
    if (data.length != expected) {
      throw new IllegalArgumentException("constant of shape " + Arrays.toString(shape) + " and type "
          + ElemType.name(elemType) + " needs " + expected + " bytes, got " + data.length);
    }
  }

  /** A 1-D INT64 tensor. */
  public static ConstTensor ofLongs(long... values) {
    return ofLongs(new long[] {values.length}, values);
  }

  /** An INT64 tensor of the given shape. */
  public static ConstTensor ofLongs(long[] shape, long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) b.putLong(v);
    return new ConstTensor(TensorProto.DataType.INT64_VALUE, shape, b.array());
  }

  /** A 0-D INT64 tensor. */
  public static ConstTensor scalarLong(long value) {
    return ofLongs(new long[0], new long[] {value});
  }

  /** A FLOAT tensor of the given shape. */
  public static ConstTensor ofFloats(long[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    return new ConstTensor(TensorProto.DataType.FLOAT_VALUE, shape, b.array());
  }

  /** A scalar of any numeric element type holding {@code value} (converted like a C cast). */
  public static ConstTensor scalarOf(int elemType, double value) {
    ByteBuffer b = ByteBuffer.allocate(ElemType.byteSize(elemType)).order(ByteOrder.LITTLE_ENDIAN);
    switch (TensorProto.DataType.forNumber(elemType)) {
      case FLOAT -> b.putFloat((float) value);
      case DOUBLE -> b.putDouble(value);
      case INT32, UINT32 -> b.putInt((int) value);
      case INT64, UINT64 -> b.putLong((long) value);
      case INT16, UINT16 -> b.putShort((short) value);
      case INT8, UINT8 -> b.put((byte) value);
      case BOOL -> b.put((byte) (value != 0 ? 1 : 0));
      default -> throw new IllegalArgumentException("no scalar of type " + ElemType.name(elemType));
    }
    return new ConstTensor(elemType, new long[0], b.array());
  }

  /** Product of {@code shape}; 1 for a scalar. */
  public static long numElements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n *= d;
    }
    return n;
  }

  /** Number of elements. */
  public long numElements() {
    return numElements(shape);
  }

  /** Rank (number of dimensions). */
  public int rank() {
    return shape.length;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Whether the element type is an integer type that {@link #longs()} can read. */
  public boolean isInteger() {
    return elemType == TensorProto.DataType.INT32_VALUE || elemType == TensorProto.DataType.INT64_VALUE;
  }

  /** The elements of an INT32 or INT64 tensor widened to long. */
  public long[] longs() {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    long[] out = new long[(int) numElements()];
    if (elemType == TensorProto.DataType.INT64_VALUE) {
      for (int i = 0; i < out.length; i++) out[i] = b.getLong();
    } else if (elemType == TensorProto.DataType.INT32_VALUE) {
      for (int i = 0; i < out.length; i++) out[i] = b.getInt();
    } else {
      throw new IllegalStateException("not an integer tensor: " + ElemType.name(elemType));
    }
    return out;
  }

  /** The elements as double (FLOAT, DOUBLE, INT32, INT64, BOOL). */
  public double[] doubles() {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    double[] out = new double[(int) numElements()];
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (TensorProto.DataType.forNumber(elemType)) {
        case FLOAT -> b.getFloat();
        case DOUBLE -> b.getDouble();
        case INT32 -> b.getInt();
        case INT64 -> b.getLong();
        case BOOL -> b.get();
        default -> throw new IllegalStateException("cannot read " + ElemType.name(elemType) + " as double");
      };
    }
    return out;
  }

  /** The same elements as an INT64 tensor (from INT32 or INT64). */
  public ConstTensor toInt64() {
    return elemType == TensorProto.DataType.INT64_VALUE ? this : ofLongs(shape, longs());
  }

  /** The same data with another shape of equal element count. */
  public ConstTensor reshape(long... newShape) {
    return new ConstTensor(elemType, newShape, data);
  }

  /** Axis permutation like ONNX Transpose: output dim i is input dim {@code perm[i]}. */
  public ConstTensor transpose(int... perm) {
    int rank = shape.length;
    if (perm.length != rank) {
      throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " for rank " + rank);
    }
    int width = ElemType.byteSize(elemType);
    long[] outShape = new long[rank];
    for (int i = 0; i < rank; i++) outShape[i] = shape[perm[i]];
    long[] inStrides = strides(shape);
    long[] outStrides = strides(outShape);
    byte[] out = new byte[data.length];
    int n = (int) numElements();
    for (int o = 0; o < n; o++) {
      long rem = o;
      long in = 0;
      for (int i = 0; i < rank; i++) {
        long idx = rem / outStrides[i];
        rem -= idx * outStrides[i];
        in += idx * inStrides[perm[i]];
      }
      System.arraycopy(data, (int) in * width, out, o * width, width);
    }
    return new ConstTensor(elemType, outShape, out);
  }

  private static long[] strides(long[] shape) {
    long[] s = new long[shape.length];
    long acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= shape[i];
    }
    return s;
  }

  /** This tensor as an ONNX initializer named {@code name} with {@code raw_data}. */
  public TensorProto toOnnx(String name) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(elemType);
    for (long d : shape) t.addDims(d);
    return t.setRawData(com.google.protobuf.UnsafeByteOperations.unsafeWrap(data)).build(); // shared, never written
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConstTensor c && c.elemType == elemType && Arrays.equals(c.shape, shape)
        && Arrays.equals(c.data, data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * elemType + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "ConstTensor[" + ElemType.name(elemType) + " " + Arrays.toString(shape) + "]";
  }
}
