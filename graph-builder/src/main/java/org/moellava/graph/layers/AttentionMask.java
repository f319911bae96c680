package org.moellava.graph.layers;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The additive causal-plus-padding mask of the decoder. Query {@code i} of the new tokens sits at absolute position
 * {@code past + i} and may see key {@code j} when {@code j <= past + i} and {@code attention_mask[b, j] == 1}.
 * Masked scores get {@link #MASKED} added, which makes their softmax weight exactly zero; rows with no visible key
 * (padding queries) produce finite values that nothing downstream uses.
 */
public final class AttentionMask {
  /** Value added to masked scores. */
  public static final float MASKED = -1e9f;

  private AttentionMask() {}

  /**
   * The additive mask {@code [B, 1, S, T]} for {@code attentionMask [B, T]} (int, 1 = real token) and {@code S} new
   * tokens ({@code seqLen} scalar), where {@code T = past + S}.
   */
  public static Operand<TFloat32> causalPadding(Ops tf, Operand<TInt32> attentionMask, Operand<TInt32> seqLen) {
    Operand<TInt32> total = TensorOps.dim(tf, attentionMask, 1); // T
    Operand<TInt32> past = tf.math.sub(total, seqLen); // past length
    Operand<TInt32> keyPos = tf.expandDims(tf.range(tf.constant(0), total, tf.constant(1)), tf.constant(0)); // [1,T]
    Operand<TInt32> queryPos = tf.expandDims(
        tf.math.add(tf.range(tf.constant(0), seqLen, tf.constant(1)), past), tf.constant(1)); // [S,1]
    Operand<TFloat32> causal = tf.dtypes.cast(tf.math.lessEqual(keyPos, queryPos), TFloat32.class); // [S,T]
    Operand<TFloat32> padding = tf.dtypes.cast(tf.math.greater(attentionMask, tf.constant(0)), TFloat32.class);
    Operand<TFloat32> keys = TensorOps.reshape(tf, padding, TensorOps.dim(tf, attentionMask, 0), 1, 1, total);
    Operand<TFloat32> allowed = tf.math.mul(keys, causal); // [B,1,S,T]
    return tf.math.mul(tf.math.sub(tf.constant(1f), allowed), tf.constant(MASKED));
  }
}
