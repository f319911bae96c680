package org.moellava.tensor;

import java.util.Arrays;

/**
 * A float tensor held in plain Java: a row-major {@code data} array and its {@code shape}. Used for model weights
 * (keyed by variable name) and for the float inputs and outputs of the inference graphs.
 *
 * @param shape dimensions, outermost first
 * @param data row-major values; its length is the product of {@code shape}
 */
public record TensorValue(long[] shape, float[] data) {

  public TensorValue {
    long size = 1;
    for (long d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      size *= d;
    }
    if (size != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + size + " values, got " + data.length);
    }
  }

  /** A tensor of the given shape filled with {@code value}. */
  public static TensorValue filled(float value, long... shape) {
    float[] data = new float[Math.toIntExact(elementCount(shape))];
    Arrays.fill(data, value);
    return new TensorValue(shape.clone(), data);
  }

  /** The number of elements, the product of the shape. */
  public long numElements() {
    return elementCount(shape);
  }

  /** Number of elements of a tensor of shape {@code shape}. */
  public static long elementCount(long... shape) {
    long size = 1;
    for (long d : shape) size *= d;
    return size;
  }

  /** The shape as text, for messages: {@code [2, 3]}. */
  public String shapeText() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorValue t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "TensorValue" + shapeText();
  }
}
