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

  /**
   * {@code gelu_new}, the tanh approximation of GELU used by GPT-2 and Phi-2:
   * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
   */
  public static Operand<TFloat32> geluNew(Ops tf, Operand<TFloat32> x) {
    Operand<TFloat32> cube = tf.math.mul(tf.math.mul(x, x), x);
    Operand<TFloat32> inner = tf.math.mul(tf.math.add(x, tf.math.mul(cube, tf.constant(0.044715f))),
        tf.constant((float) Math.sqrt(2.0 / Math.PI)));
    return tf.math.mul(tf.math.mul(x, tf.constant(0.5f)), tf.math.add(tf.math.tanh(inner), tf.constant(1f)));
  }

  /**
   * The decoder FFN activation named by {@code text_config.hidden_act}: {@code silu}, {@code gelu_new} or
   * {@code gelu} (exact).
   */
  public static Operand<TFloat32> byName(Ops tf, String name, Operand<TFloat32> x) {
    return switch (name) {
      case "silu" -> silu(tf, x);
      case "gelu_new" -> geluNew(tf, x);
      case "gelu" -> gelu(tf, x);
      default -> throw new IllegalArgumentException("unsupported activation '" + name + "' (silu, gelu_new, gelu)");
    };
  }
}
