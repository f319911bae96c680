package org.moellava.graph.layers;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/** Small shape helpers for graphs with dynamic batch and sequence dimensions. */
public final class TensorOps {
  private TensorOps() {}

  /** The size of {@code axis} of {@code x} as a scalar int32 operand. */
  public static Operand<TInt32> dim(Ops tf, Operand<?> x, int axis) {
    return tf.gather(tf.shape(x), tf.constant(axis), tf.constant(0));
  }

  /**
   * A shape vector from a mix of static sizes ({@link Integer}) and dynamic sizes (scalar {@code Operand<TInt32>}).
   */
  @SuppressWarnings("unchecked")
  public static Operand<TInt32> shape(Ops tf, Object... dims) {
    List<Operand<TInt32>> parts = new ArrayList<>();
    for (Object d : dims) {
      if (d instanceof Integer i) {
        parts.add(tf.constant(i));
      } else if (d instanceof Long l) {
        parts.add(tf.constant(Math.toIntExact(l)));
      } else {
        parts.add((Operand<TInt32>) d);
      }
    }
    return tf.stack(parts);
  }

  /** {@code reshape(x, dims)} where {@code dims} mixes static and dynamic sizes (see {@link #shape}). */
  public static <T extends TType> Operand<T> reshape(Ops tf, Operand<T> x, Object... dims) {
    return tf.reshape(x, shape(tf, dims));
  }

  /** {@code transpose(x, perm)}. */
  public static <T extends TType> Operand<T> transpose(Ops tf, Operand<T> x, int... perm) {
    return tf.linalg.transpose(x, tf.constant(perm));
  }

  /**
   * {@code x[..., begin : begin + size, ...]} along {@code axis}, keeping every other axis whole (sizes are given
   * explicitly, so the output's static shape keeps the known dimensions).
   *
   * @param size scalar int32 operand or {@link Integer}
   */
  public static <T extends TType> Operand<T> sliceAlong(Ops tf, Operand<T> x, int axis, int begin, Object size) {
    int rank = x.shape().numDimensions();
    int[] starts = new int[rank];
    starts[axis] = begin;
    Object[] sizes = new Object[rank];
    for (int i = 0; i < rank; i++) sizes[i] = i == axis ? size : dim(tf, x, i);
    return tf.slice(x, tf.constant(starts), shape(tf, sizes));
  }

  /** A constant int32 vector. */
  public static Operand<TInt32> ints(Ops tf, int... values) {
    return tf.constant(values);
  }
}
