package org.moellava.graph.layers;

import org.moellava.tensor.TensorValue;

import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Conversions between Java arrays and TF tensors (the caller closes the tensors it gets). */
public final class Tensors {
  private Tensors() {}

  /** A float tensor with a copy of {@code value}. */
  public static TFloat32 floats(TensorValue value) {
    return TFloat32.tensorOf(Shape.of(value.shape()), DataBuffers.of(value.data(), true, false));
  }

  /** An int32 tensor of {@code shape} with a copy of {@code data}. */
  public static TInt32 ints(int[] data, long... shape) {
    return TInt32.tensorOf(Shape.of(shape), DataBuffers.of(data, true, false));
  }

  /** The values and shape of a float tensor. */
  public static TensorValue toValue(Tensor tensor) {
    TFloat32 t = (TFloat32) tensor;
    long[] shape = t.shape().asArray();
    float[] data = new float[Math.toIntExact(t.shape().size())];
    t.copyTo(DataBuffers.of(data, false, false));
    return new TensorValue(shape, data);
  }

  /** The values of an int32 tensor. */
  public static int[] toInts(Tensor tensor) {
    TInt32 t = (TInt32) tensor;
    int[] data = new int[Math.toIntExact(t.shape().size())];
    t.copyTo(DataBuffers.of(data, false, false));
    return data;
  }
}
