package org.moellava.train.optim;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Global L2 norm of a list of tensors, and clipping by it (as {@code tf.clip_by_global_norm}). */
public final class GlobalNorm {
  private GlobalNorm() {}

  /** {@code sqrt(Σ_i sum(t_i²))}, a scalar. */
  public static Operand<TFloat32> of(Ops tf, List<Operand<TFloat32>> tensors) {
    Operand<TFloat32> total = tf.constant(0f);
    for (Operand<TFloat32> t : tensors) {
      Operand<TInt32> axes = tf.range(tf.constant(0), tf.rank(t), tf.constant(1));
      total = tf.math.add(total, tf.sum(tf.math.square(t), axes));
    }
    return tf.math.sqrt(total);
  }

  /** Each tensor times {@code min(1, maxNorm / norm)}. */
  public static List<Operand<TFloat32>> clip(Ops tf, List<Operand<TFloat32>> tensors, Operand<TFloat32> norm,
      float maxNorm) {
    Operand<TFloat32> max = tf.constant(maxNorm);
    Operand<TFloat32> scale = tf.math.div(max, tf.math.maximum(norm, max));
    List<Operand<TFloat32>> out = new ArrayList<>();
    for (Operand<TFloat32> t : tensors) {
      out.add(tf.math.mul(t, scale));
    }
    return out;
  }
}
