package org.moellava.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * Allocation of the direct, native-order buffers that cross the {@link Backend} contract. ONNX Runtime's
 * {@code OnnxTensor.createTensor(env, buffer, shape)} wraps such a buffer without copying it.
 */
public final class Tensors {
  private Tensors() {}

  /** A zeroed direct native-order float buffer of {@code count} elements, position 0, limit count. */
  public static FloatBuffer floats(long count) {
    return ByteBuffer.allocateDirect(byteSize(count, Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** A zeroed direct native-order long buffer of {@code count} elements, position 0, limit count. */
  public static LongBuffer longs(long count) {
    return ByteBuffer.allocateDirect(byteSize(count, Long.BYTES)).order(ByteOrder.nativeOrder()).asLongBuffer();
  }

  /** A direct float buffer holding a copy of {@code values}. */
  public static FloatBuffer floatsOf(float[] values) {
    FloatBuffer buffer = floats(values.length);
    buffer.put(0, values);
    return buffer;
  }

  /** A direct long buffer holding a copy of {@code values}. */
  public static LongBuffer longsOf(long[] values) {
    LongBuffer buffer = longs(values.length);
    buffer.put(0, values);
    return buffer;
  }

  /** The first {@code count} elements of {@code buffer} as a view with position 0 and limit count. */
  public static FloatBuffer view(FloatBuffer buffer, int count) {
    return buffer.duplicate().position(0).limit(count).slice();
  }

  /** The first {@code count} elements of {@code buffer} as a view with position 0 and limit count. */
  public static LongBuffer view(LongBuffer buffer, int count) {
    return buffer.duplicate().position(0).limit(count).slice();
  }

  private static int byteSize(long count, int width) {
    long bytes = count * width;
    if (count < 0 || bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("buffer of " + count + " elements exceeds 2 GiB");
    }
    return (int) bytes;
  }
}
