package org.moellava.graph.layers;

import org.moellava.graph.moe.MoeBlock;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.graph.moe.MoeRouting;
import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableNames;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.config.TextConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The decoder LLM: L pre-norm layers, final norm and lm_head, in the architecture of {@code text_config}
 * (Qwen2-MoE by default; StableLM, Phi-2 and Qwen-1 through {@link org.moellava.config.DecoderArchitecture}).
 */
public final class DecoderStack {
  private DecoderStack() {}

  /**
   * The decoder's result.
   *
   * @param logits {@code [B, S, V]}
   * @param presents per layer, keys/values including the new tokens
   * @param routings per MoE layer (decoder layer index, ascending), the router's decisions
   */
  public record Output(Operand<TFloat32> logits, List<Attention.KeyValue> presents,
      Map<Integer, MoeRouting> routings) {}

  /**
   * Runs the decoder on {@code inputsEmbeds [B, S, D]}.
   *
   * @param attentionMask {@code [B, past+S]} int, 1 for real tokens
   * @param positionIds {@code [B, S]}
   * @param pasts per layer {@code [B, Hkv, past, hd]} keys/values, or null for no cache
   */
  public static Output forward(Ops tf, ModelVariables vars, TextConfig config, Operand<TFloat32> inputsEmbeds,
      Operand<TInt32> attentionMask, Operand<TInt32> positionIds, List<Attention.KeyValue> pasts,
      MoeOptions moeOptions) {
    int hd = config.headDim();
    Rope rope = Rope.create(tf, positionIds, hd, config.rotaryDim(), config.ropeTheta());
    Operand<TFloat32> mask = AttentionMask.causalPadding(tf, attentionMask, TensorOps.dim(tf, inputsEmbeds, 1));
    Operand<TFloat32> h = inputsEmbeds; // [B,S,D]
    List<Attention.KeyValue> presents = new ArrayList<>();
    Map<Integer, MoeRouting> routings = new LinkedHashMap<>();
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      String p = VariableNames.decoderLayer(i);
      Operand<TFloat32> normed = Norms.decoderNorm(tf, vars, p + "/input_layernorm", h, config); // [B,S,D]
      Attention.Result attn = Attention.decoder(tf, vars, p + "/self_attn", normed, rope, mask,
          pasts == null ? null : pasts.get(i), config.numAttentionHeads(), config.numKeyValueHeads(), hd,
          config.qkvBias(), config.oProjBias());
      presents.add(attn.present());
      if (config.parallelResidual()) {
        // Phi-2: one norm feeds both; h = (attn + ffn) + h, in MoE-LLaVA's order of additions
        Operand<TFloat32> ffn = ffn(tf, vars, i, config, normed, moeOptions, routings);
        h = tf.math.add(tf.math.add(attn.output(), ffn), h);
      } else {
        h = tf.math.add(h, attn.output());
        Operand<TFloat32> normed2 = Norms.decoderNorm(tf, vars, p + "/post_attention_layernorm", h, config);
        h = tf.math.add(h, ffn(tf, vars, i, config, normed2, moeOptions, routings));
      }
    }
    h = Norms.decoderNorm(tf, vars, VariableNames.FINAL_NORM, h, config);
    return new Output(lmHead(tf, vars, config, h), presents, routings);
  }

  /** The FFN of layer {@code i} on {@code x [B, S, D]}: the MoE block (its routing recorded) or the dense FFN. */
  private static Operand<TFloat32> ffn(Ops tf, ModelVariables vars, int i, TextConfig config, Operand<TFloat32> x,
      MoeOptions moeOptions, Map<Integer, MoeRouting> routings) {
    if (!config.isMoeLayer(i)) return FeedForward.denseDecoderFfn(tf, vars, i, x, config);
    MoeBlock.Output moe = MoeBlock.apply(tf, vars, i, config, x, moeOptions);
    routings.put(i, moe.routing());
    return moe.output();
  }

  /**
   * {@code h [B, S, D]} to logits {@code [B, S, V]}; tied embeddings use {@code embed_tokens} transposed; with
   * {@code lm_head_bias}, {@code lm_head/bias} is added.
   */
  public static Operand<TFloat32> lmHead(Ops tf, ModelVariables vars, TextConfig config, Operand<TFloat32> h) {
    Operand<TFloat32> bias = config.lmHeadBias() ? vars.get(VariableNames.LM_HEAD_BIAS) : null;
    if (!config.tieWordEmbeddings()) return Linear.apply(tf, h, vars.get(VariableNames.LM_HEAD_KERNEL), bias);
    Operand<TFloat32> flat = tf.reshape(h, tf.constant(new int[] {-1, config.hiddenSize()}));
    Operand<TFloat32> logits = tf.linalg.matMul(flat, vars.get(VariableNames.EMBED_TOKENS),
        org.tensorflow.op.linalg.MatMul.transposeB(true)); // [N,V]
    if (bias != null) logits = tf.math.add(logits, bias);
    return TensorOps.reshape(tf, logits, TensorOps.dim(tf, h, 0), TensorOps.dim(tf, h, 1), config.vocabSize());
  }

  /** Token embeddings {@code [B, S, D]} with the image features spliced in at the image tokens. */
  public static Operand<TFloat32> embed(Ops tf, ModelVariables vars, int imageTokenIndex, int numPatches,
      TextConfig config, Operand<TInt32> inputIds, Operand<TFloat32> imageFeatures) {
    Operand<TFloat32> embeds = tf.gather(vars.get(VariableNames.EMBED_TOKENS), inputIds, tf.constant(0)); // [B,S,D]
    return ImageSplice.apply(tf, embeds, inputIds, imageFeatures, imageTokenIndex, numPatches, config.hiddenSize());
  }
}
