package org.moellava.graph.layers;

import org.moellava.graph.variables.ModelVariables;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** A linear layer {@code y = x·kernel + bias} over the last axis, with {@code kernel [in, out]}. */
public final class Linear {
  private Linear() {}

  /**
   * Applies the layer to {@code x [..., in]} and returns {@code [..., out]}.
   *
   * @param bias {@code [out]}, or {@code null} for a layer without bias
   */
  public static Operand<TFloat32> apply(Ops tf, Operand<TFloat32> x, Operand<TFloat32> kernel,
      Operand<TFloat32> bias) {
    int rank = x.shape().numDimensions();
    int in = (int) kernel.shape().get(0);
    int out = (int) kernel.shape().get(1);
    Operand<TFloat32> flat = rank == 2 ? x : tf.reshape(x, tf.constant(new int[] {-1, in})); // [N, in]
    Operand<TFloat32> y = tf.linalg.matMul(flat, kernel); // [N, out]
    if (bias != null) y = tf.math.add(y, bias);
    if (rank == 2) return y;
    Operand<org.tensorflow.types.TInt32> leading =
        tf.slice(tf.shape(x), tf.constant(new int[] {0}), tf.constant(new int[] {rank - 1}));
    return tf.reshape(y, tf.concat(java.util.List.of(leading, tf.constant(new int[] {out})), tf.constant(0)));
  }

  /** Applies the layer whose variables are {@code prefix/kernel} and, if {@code withBias}, {@code prefix/bias}. */
  public static Operand<TFloat32> apply(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x,
      boolean withBias) {
    return apply(tf, x, vars.get(prefix + "/kernel"), withBias ? vars.get(prefix + "/bias") : null);
  }
}
