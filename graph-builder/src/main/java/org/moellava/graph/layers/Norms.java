package org.moellava.graph.layers;

import org.moellava.config.TextConfig;
import org.moellava.graph.variables.ModelVariables;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;

/** LayerNorm and RMSNorm over the last axis. */
public final class Norms {
  private Norms() {}

  /**
   * {@code (x - mean) / sqrt(var + eps) * gamma + beta}, biased variance, for {@code x [..., D]}; {@code beta} null
   * for a LayerNorm without bias.
   */
  public static Operand<TFloat32> layerNorm(Ops tf, Operand<TFloat32> x, Operand<TFloat32> gamma,
      Operand<TFloat32> beta, double eps) {
    Operand<org.tensorflow.types.TInt32> last = tf.constant(-1);
    Operand<TFloat32> mean = tf.math.mean(x, last, Mean.keepDims(true)); // [..., 1]
    Operand<TFloat32> centered = tf.math.sub(x, mean); // [..., D]
    Operand<TFloat32> variance = tf.math.mean(tf.math.square(centered), last, Mean.keepDims(true)); // [..., 1]
    Operand<TFloat32> normed = tf.math.mul(centered, tf.math.rsqrt(tf.math.add(variance, tf.constant((float) eps))));
    Operand<TFloat32> scaled = tf.math.mul(normed, gamma);
    return beta == null ? scaled : tf.math.add(scaled, beta);
  }

  /** LayerNorm with the variables {@code prefix/gamma} and {@code prefix/beta}. */
  public static Operand<TFloat32> layerNorm(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x,
      double eps) {
    return layerNorm(tf, x, vars.get(prefix + "/gamma"), vars.get(prefix + "/beta"), eps);
  }

  /** {@code x * rsqrt(mean(x^2) + eps) * gamma} for {@code x [..., D]}. */
  public static Operand<TFloat32> rmsNorm(Ops tf, Operand<TFloat32> x, Operand<TFloat32> gamma, double eps) {
    Operand<TFloat32> meanSquare = tf.math.mean(tf.math.square(x), tf.constant(-1), Mean.keepDims(true)); // [..., 1]
    Operand<TFloat32> normed = tf.math.mul(x, tf.math.rsqrt(tf.math.add(meanSquare, tf.constant((float) eps))));
    return tf.math.mul(gamma, normed);
  }

  /** RMSNorm with the variable {@code prefix/gamma}. */
  public static Operand<TFloat32> rmsNorm(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x,
      double eps) {
    return rmsNorm(tf, x, vars.get(prefix + "/gamma"), eps);
  }

  /**
   * A decoder norm ({@code input_layernorm}, {@code post_attention_layernorm}, the final norm) of the kind
   * {@code config} names: RMSNorm with {@code prefix/gamma}, or LayerNorm with {@code prefix/gamma} and, when
   * {@code norm_bias}, {@code prefix/beta}; epsilon {@code rms_norm_eps}.
   */
  public static Operand<TFloat32> decoderNorm(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x,
      TextConfig config) {
    double eps = config.rmsNormEps();
    return switch (config.normType()) {
      case RMS_NORM -> rmsNorm(tf, vars, prefix, x, eps);
      case LAYER_NORM -> layerNorm(tf, x, vars.get(prefix + "/gamma"),
          config.normBias() ? vars.get(prefix + "/beta") : null, eps);
    };
  }
}
