package org.moellava.graph.layers;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Rotary position embedding in the rotate-half convention (Hugging Face Llama/Qwen2):
 * {@code x' = x*cos + rotate_half(x)*sin} with {@code inv_freq[j] = theta^(-2j/rd)} and
 * {@code angle = position * inv_freq}, repeated over both halves. With partial rotary (StableLM's {@code rope_pct},
 * Phi's {@code partial_rotary_factor}, Qwen's {@code rotary_pct}) only the first {@code rd} of the {@code hd} dims of
 * each head rotate, the frequencies computed for {@code rd}; the rest pass through unchanged.
 *
 * @param cos {@code [B, 1, S, rd]}
 * @param sin {@code [B, 1, S, rd]}
 * @param rotaryDim {@code rd}, the rotated leading dims of each head (even)
 * @param headDim {@code hd}
 */
public record Rope(Operand<TFloat32> cos, Operand<TFloat32> sin, int rotaryDim, int headDim) {

  /** The inverse frequencies {@code [rd/2]} as Hugging Face computes them (float32) for {@code rd} rotated dims. */
  public static float[] inverseFrequencies(int rotaryDim, double theta) {
    float[] inv = new float[rotaryDim / 2];
    for (int j = 0; j < inv.length; j++) {
      float exponent = (float) (2 * j) / (float) rotaryDim;
      inv[j] = (float) (1.0 / Math.pow(theta, exponent));
    }
    return inv;
  }

  /** The cos/sin tables for {@code positionIds [B, S]}, rotating all {@code headDim} dims. */
  public static Rope create(Ops tf, Operand<org.tensorflow.types.TInt32> positionIds, int headDim, double theta) {
    return create(tf, positionIds, headDim, headDim, theta);
  }

  /** The cos/sin tables for {@code positionIds [B, S]}, rotating the first {@code rotaryDim} of {@code headDim} dims. */
  public static Rope create(Ops tf, Operand<org.tensorflow.types.TInt32> positionIds, int headDim, int rotaryDim,
      double theta) {
    if (rotaryDim < 2 || rotaryDim % 2 != 0 || rotaryDim > headDim) {
      throw new IllegalArgumentException("rotary dims " + rotaryDim + " must be even and in [2, " + headDim + "]");
    }
    Operand<TFloat32> pos = tf.expandDims(tf.dtypes.cast(positionIds, TFloat32.class), tf.constant(-1)); // [B,S,1]
    Operand<TFloat32> freqs = tf.math.mul(pos, tf.constant(inverseFrequencies(rotaryDim, theta))); // [B,S,rd/2]
    Operand<TFloat32> angles = tf.concat(List.of(freqs, freqs), tf.constant(-1)); // [B,S,rd]
    Operand<TFloat32> cos = tf.expandDims(tf.math.cos(angles), tf.constant(1)); // [B,1,S,rd]
    Operand<TFloat32> sin = tf.expandDims(tf.math.sin(angles), tf.constant(1)); // [B,1,S,rd]
    return new Rope(cos, sin, rotaryDim, headDim);
  }

  /** Rotates {@code x [B, H, S, hd]} (its first {@code rd} dims when the rotary is partial). */
  public Operand<TFloat32> apply(Ops tf, Operand<TFloat32> x) {
    if (rotaryDim == headDim) return rotate(tf, x);
    List<org.tensorflow.Output<TFloat32>> parts = tf.splitV(x, tf.constant(new int[] {rotaryDim, headDim - rotaryDim}),
        tf.constant(-1), 2L).output(); // [B,H,S,rd], [B,H,S,hd-rd]
    return tf.concat(List.of(rotate(tf, parts.get(0)), parts.get(1)), tf.constant(-1)); // [B,H,S,hd]
  }

  /** {@code x*cos + rotate_half(x)*sin} for {@code x [B, H, S, rd]}. */
  private Operand<TFloat32> rotate(Ops tf, Operand<TFloat32> x) {
    List<org.tensorflow.Output<TFloat32>> halves = tf.split(tf.constant(-1), x, 2L).output(); // 2 x [B,H,S,rd/2]
    Operand<TFloat32> rotated = tf.concat(List.of(tf.math.neg(halves.get(1)), halves.get(0)), tf.constant(-1));
    return tf.math.add(tf.math.mul(x, cos), tf.math.mul(rotated, sin));
  }
}
