package org.moellava.graph.layers;

import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableNames;

import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionConfig;
import org.moellava.config.VisionStyle;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The ViT vision tower up to the feature layer, CLIP or SigLIP ({@code vision_config.vision_style}, see
 * {@link VisionStyle}).
 */
public final class VisionTower {
  private VisionTower() {}

  /**
   * Image features for LLaVA: {@code pixel_values [B, 3, H, W]} (NCHW) to the hidden state after layer
   * {@code config.visionLayersUsed()} without its first position, {@code [B, P, Dv]}: CLIP's class token is dropped;
   * SigLIP has none and loses its first patch, as MoE-LLaVA's {@code feature_select} does
   * ({@link VisionConfig#numPatches()}).
   */
  public static Operand<TFloat32> features(Ops tf, ModelVariables vars, ModelConfig config,
      Operand<TFloat32> pixelValues) {
    VisionConfig v = config.visionConfig();
    VisionStyle style = v.visionStyle();
    int d = v.hiddenSize();
    int p = v.patchSize();
    Operand<TFloat32> nhwc = TensorOps.transpose(tf, pixelValues, 0, 2, 3, 1); // [B,H,W,3]
    Operand<TFloat32> patches = tf.nn.conv2d(nhwc, vars.get(VariableNames.PATCH_EMBEDDING_KERNEL),
        List.of(1L, (long) p, (long) p, 1L), "VALID"); // [B,H/p,W/p,Dv]
    if (style.patchBias()) patches = tf.math.add(patches, vars.get(VariableNames.PATCH_EMBEDDING_BIAS));
    Operand<TInt32> batch = TensorOps.dim(tf, pixelValues, 0);
    Operand<TFloat32> h = TensorOps.reshape(tf, patches, batch, v.gridPatches(), d); // [B,G,Dv], G = grid patches
    if (style.classToken()) {
      Operand<TFloat32> cls = tf.tile(TensorOps.reshape(tf, vars.get(VariableNames.CLASS_EMBEDDING), 1, 1, d),
          TensorOps.shape(tf, batch, 1, 1)); // [B,1,Dv]
      h = tf.concat(List.of(cls, h), tf.constant(1)); // [B,G+1,Dv]
    }
    h = tf.math.add(h, vars.get(VariableNames.POSITION_EMBEDDING)); // [B,P+1,Dv]
    if (style.preLayerNorm()) h = Norms.layerNorm(tf, vars, VariableNames.PRE_LAYERNORM, h, v.layerNormEps());
    for (int i = 0; i < config.visionLayersUsed(); i++) {
      h = encoderLayer(tf, vars, VariableNames.visionLayer(i), h, v);
    }
    return TensorOps.sliceAlong(tf, h, 1, 1, v.numPatches()); // [B,P,Dv]: first position dropped
  }

  /**
   * A pre-LN encoder layer (CLIP's and SigLIP's): {@code x += attn(LN1(x)); x += mlp(LN2(x))} on {@code [B, N, Dv]},
   * the MLP's activation that of the style.
   */
  public static Operand<TFloat32> encoderLayer(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x,
      VisionConfig v) {
    Operand<TFloat32> attn = Attention.clip(tf, vars, prefix + "/self_attn",
        Norms.layerNorm(tf, vars, prefix + "/layer_norm1", x, v.layerNormEps()), v.numAttentionHeads(), v.headDim());
    Operand<TFloat32> h = tf.math.add(x, attn);
    Operand<TFloat32> mlp = FeedForward.visionMlp(tf, vars, prefix + "/mlp",
        Norms.layerNorm(tf, vars, prefix + "/layer_norm2", h, v.layerNormEps()), v.hiddenAct());
    return tf.math.add(h, mlp);
  }
}
