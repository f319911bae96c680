package org.moellava.graph.layers;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Rotary position embedding in the rotate-half convention (Hugging Face Llama/Qwen2):
 * {@code x' = x*cos + rotate_half(x)*sin} with {@code inv_freq[j] = theta^(-2j/hd)} and
 * {@code angle = position * inv_freq}, repeated over both halves.
 *
 * @param cos {@code [B, 1, S, hd]}
 * @param sin {@code [B, 1, S, hd]}
 */
public record Rope(Operand<TFloat32> cos, Operand<TFloat32> sin) {

  /** The inverse frequencies {@code [hd/2]} as Hugging Face computes them (float32). */
  public static float[] inverseFrequencies(int headDim, double theta) {
    float[] inv = new float[headDim / 2];
    for (int j = 0; j < inv.length; j++) {
      float exponent = (float) (2 * j) / (float) headDim;
      inv[j] = (float) (1.0 / Math.pow(theta, exponent));
    }
    return inv;
  }

  /** The cos/sin tables for {@code positionIds [B, S]}. */
  public static Rope create(Ops tf, Operand<TInt32> positionIds, int headDim, double theta) {
    Operand<TFloat32> pos = tf.expandDims(tf.dtypes.cast(positionIds, TFloat32.class), tf.constant(-1)); // [B,S,1]
    Operand<TFloat32> freqs = tf.math.mul(pos, tf.constant(inverseFrequencies(headDim, theta))); // [B,S,hd/2]
    Operand<TFloat32> angles = tf.concat(List.of(freqs, freqs), tf.constant(-1)); // [B,S,hd]
    Operand<TFloat32> cos = tf.expandDims(tf.math.cos(angles), tf.constant(1)); // [B,1,S,hd]
    Operand<TFloat32> sin = tf.expandDims(tf.math.sin(angles), tf.constant(1)); // [B,1,S,hd]
    return new Rope(cos, sin);
  }

  /** Rotates {@code x [B, H, S, hd]}. */
  public Operand<TFloat32> apply(Ops tf, Operand<TFloat32> x) {
    List<org.tensorflow.Output<TFloat32>> halves = tf.split(tf.constant(-1), x, 2L).output(); // 2 x [B,H,S,hd/2]
    Operand<TFloat32> rotated = tf.concat(List.of(tf.math.neg(halves.get(1)), halves.get(0)), tf.constant(-1));
    return tf.math.add(tf.math.mul(x, cos), tf.math.mul(rotated, sin));
  }
}
