package org.moellava.graph.layers;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Element-wise activations, built only from ops that have TF gradients. */
public final class Activations {
  private Activations() {}

  /** CLIP's {@code quick_gelu(x) = x * sigmoid(1.702 x)}. */
  public static Operand<TFloat32> quickGelu(Ops tf, Operand<TFloat32> x) {
    return tf.math.mul(x, tf.math.sigmoid(tf.math.mul(x, tf.constant(1.702f))));
  }

  /** Exact GELU {@code 0.5 x (1 + erf(x / sqrt 2))}, built from Erf (the fused Gelu op has no gradient). */
  public static Operand<TFloat32> gelu(Ops tf, Operand<TFloat32> x) {
    Operand<TFloat32> erf = tf.math.erf(tf.math.mul(x, tf.constant((float) (1.0 / Math.sqrt(2.0)))));
    return tf.math.mul(tf.math.mul(x, tf.constant(0.5f)), tf.math.add(erf, tf.constant(1f)));
  }

  /** {@code silu(x) = x * sigmoid(x)}. */
  public static Operand<TFloat32> silu(Ops tf, Operand<TFloat32> x) {
    return tf.math.mul(x, tf.math.sigmoid(x));
  }
}
