package org.moellava.runtime.tf;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import org.moellava.runtime.OutputBuffers;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Copies between the backend contract's direct buffers and TF tensors (callers close the tensors). */
final class TfTensors {
  private TfTensors() {}

  /** A float tensor of {@code shape} holding a copy of {@code buffer}'s elements. */
  static TFloat32 floats(FloatBuffer buffer, long... shape) {
    checkCount(buffer.remaining(), shape);
    return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(buffer.duplicate()));
  }

  /** An int32 tensor of {@code shape} holding the int64 values of {@code buffer}, narrowed. */
  static TInt32 ints(LongBuffer buffer, long... shape) {
    checkCount(buffer.remaining(), shape);
    int[] values = new int[buffer.remaining()];
    for (int i = 0; i < values.length; i++) {
      long v = buffer.get(buffer.position() + i);
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("value " + v + " does not fit the graph's int32 input");
      }
      values[i] = (int) v;
    }
    return TInt32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false));
  }

  /** Copies a float tensor into the reused buffer of output {@code name}. */
  static FloatBuffer copyOut(Tensor tensor, OutputBuffers outputs, String name) {
    TFloat32 t = (TFloat32) tensor;
    FloatBuffer out = outputs.floats(name, t.shape().size());
    t.copyTo(DataBuffers.of(out.duplicate()));
    return out;
  }

  private static void checkCount(int count, long[] shape) {
    long expected = 1;
    for (long d : shape) expected *= d;
    if (expected != count) {
      throw new IllegalArgumentException("buffer holds " + count + " elements, shape " + java.util.Arrays.toString(shape)
          + " needs " + expected);
    }
  }
}
