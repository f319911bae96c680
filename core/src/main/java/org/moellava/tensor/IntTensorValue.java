package org.moellava.tensor;

import java.util.Arrays;

/**
 * An int32 tensor held in plain Java (token ids, masks, positions).
 *
 * @param shape dimensions, outermost first
 * @param data row-major values; its length is the product of {@code shape}
 */
public record IntTensorValue(long[] shape, int[] data) {

  public IntTensorValue {
    if (TensorValue.elementCount(shape) != data.length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs "
          + TensorValue.elementCount(shape) + " values, got " + data.length);
    }
  }

  /** A {@code [rows, cols]} tensor. */
  public static IntTensorValue matrix(int rows, int cols, int[] data) {
    return new IntTensorValue(new long[] {rows, cols}, data);
  }

  /** The shape as text, for messages. */
  public String shapeText() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IntTensorValue t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "IntTensorValue" + shapeText();
  }
}
