package org.moellava.safetensors;

import java.util.Arrays;

/**
 * An integer tensor (token ids, masks) held in Java memory, row-major.
 *
 * @param shape the dimensions, outermost first
 * @param data the elements in row-major order; {@code data.length == product(shape)}
 */
public record LongTensorValue(long[] shape, long[] data) {

  public LongTensorValue {
    long n = 1;
    for (long d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
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
