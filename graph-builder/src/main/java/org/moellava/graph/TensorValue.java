package org.moellava.graph;

import java.util.Arrays;

/**
 * A float32 tensor held in Java memory: its shape and its elements in row-major (C) order.
 *
 * @param shape the dimensions, outermost first; an empty array is a scalar
 * @param data the elements in row-major order; {@code data.length == product(shape)}
 */
public record TensorValue(long[] shape, float[] data) {

  public TensorValue {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    if (data.length != n) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
          + " elements, got " + data.length);
    }
  }

  /** The number of elements, the product of the shape. */
  public long numElements() {
    long n = 1;
    for (long d : shape) n *= d;
    return n;
  }
}
