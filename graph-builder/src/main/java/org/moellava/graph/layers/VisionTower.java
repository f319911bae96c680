package org.moellava.graph.layers;

import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableNames;

import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** The CLIP ViT vision tower up to the feature layer. */
public final class VisionTower {
  private VisionTower() {}

  /**
   * Image features for LLaVA: {@code pixel_values [B, 3, H, W]} (NCHW) to the hidden state after layer
   * {@code config.visionLayersUsed()} with the class token dropped, {@code [B, P, Dv]}.
   */
  public static Operand<TFloat32> features(Ops tf, ModelVariables vars, ModelConfig config,
      Operand<TFloat32> pixelValues) {
    VisionConfig v = config.visionConfig();
    int d = v.hiddenSize();
    int p = v.patchSize();
    Operand<TFloat32> nhwc = TensorOps.transpose(tf, pixelValues, 0, 2, 3, 1); // [B,H,W,3]
    Operand<TFloat32> patches = tf.nn.conv2d(nhwc, vars.get(VariableNames.PATCH_EMBEDDING_KERNEL),
        List.of(1L, (long) p, (long) p, 1L), "VALID"); // [B,H/p,W/p,Dv]
    Operand<TInt32> batch = TensorOps.dim(tf, pixelValues, 0);
    Operand<TFloat32> tokens = TensorOps.reshape(tf, patches, batch, v.numPatches(), d); // [B,P,Dv]
    Operand<TFloat32> cls = tf.tile(TensorOps.reshape(tf, vars.get(VariableNames.CLASS_EMBEDDING), 1, 1, d),
        TensorOps.shape(tf, batch, 1, 1)); // [B,1,Dv]
    Operand<TFloat32> h = tf.concat(List.of(cls, tokens), tf.constant(1)); // [B,P+1,Dv]
    h = tf.math.add(h, vars.get(VariableNames.POSITION_EMBEDDING));
    h = Norms.layerNorm(tf, vars, VariableNames.PRE_LAYERNORM, h, v.layerNormEps());
    for (int i = 0; i < config.visionLayersUsed(); i++) {
      h = encoderLayer(tf, vars, VariableNames.visionLayer(i), h, v);
    }
    return TensorOps.sliceAlong(tf, h, 1, 1, v.numPatches()); // [B,P,Dv]: class token dropped
  }

  /** A pre-LN CLIP encoder layer: {@code x += attn(LN1(x)); x += mlp(LN2(x))} on {@code [B, N, Dv]}. */
  public static Operand<TFloat32> encoderLayer(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x,
      VisionConfig v) {
    Operand<TFloat32> attn = Attention.clip(tf, vars, prefix + "/self_attn",
        Norms.layerNorm(tf, vars, prefix + "/layer_norm1", x, v.layerNormEps()), v.numAttentionHeads(), v.headDim());
    Operand<TFloat32> h = tf.math.add(x, attn);
    Operand<TFloat32> mlp = FeedForward.clipMlp(tf, vars, prefix + "/mlp",
        Norms.layerNorm(tf, vars, prefix + "/layer_norm2", h, v.layerNormEps()));
    return tf.math.add(h, mlp);
  }
}
