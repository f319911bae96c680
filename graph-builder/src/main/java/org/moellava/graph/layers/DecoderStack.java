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

/** The decoder LLM (Qwen2-MoE style): L pre-norm layers, final RMSNorm and lm_head. */
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
    Rope rope = Rope.create(tf, positionIds, hd, config.ropeTheta());
    Operand<TFloat32> mask = AttentionMask.causalPadding(tf, attentionMask, TensorOps.dim(tf, inputsEmbeds, 1));
    Operand<TFloat32> h = inputsEmbeds; // [B,S,D]
    List<Attention.KeyValue> presents = new ArrayList<>();
    Map<Integer, MoeRouting> routings = new LinkedHashMap<>();
    double eps = config.rmsNormEps();
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      String p = VariableNames.decoderLayer(i);
      Attention.Result attn = Attention.decoder(tf, vars, p + "/self_attn",
          Norms.rmsNorm(tf, vars, p + "/input_layernorm", h, eps), rope, mask, pasts == null ? null : pasts.get(i),
          config.numAttentionHeads(), config.numKeyValueHeads(), hd);
      presents.add(attn.present());
      h = tf.math.add(h, attn.output());
      Operand<TFloat32> normed = Norms.rmsNorm(tf, vars, p + "/post_attention_layernorm", h, eps);
      Operand<TFloat32> ffn;
      if (config.isMoeLayer(i)) {
        MoeBlock.Output moe = MoeBlock.apply(tf, vars, i, config, normed, moeOptions);
        routings.put(i, moe.routing());
        ffn = moe.output();
      } else {
        ffn = FeedForward.denseDecoderFfn(tf, vars, i, normed);
      }
      h = tf.math.add(h, ffn);
    }
    h = Norms.rmsNorm(tf, vars, VariableNames.FINAL_NORM, h, eps);
    return new Output(lmHead(tf, vars, config, h), presents, routings);
  }

  /** {@code h [B, S, D]} to logits {@code [B, S, V]}; tied embeddings use {@code embed_tokens} transposed. */
  public static Operand<TFloat32> lmHead(Ops tf, ModelVariables vars, TextConfig config, Operand<TFloat32> h) {
    if (!config.tieWordEmbeddings()) return Linear.apply(tf, h, vars.get(VariableNames.LM_HEAD_KERNEL), null);
    Operand<TFloat32> flat = tf.reshape(h, tf.constant(new int[] {-1, config.hiddenSize()}));
    Operand<TFloat32> logits = tf.linalg.matMul(flat, vars.get(VariableNames.EMBED_TOKENS),
        org.tensorflow.op.linalg.MatMul.transposeB(true)); // [N,V]
    return TensorOps.reshape(tf, logits, TensorOps.dim(tf, h, 0), TensorOps.dim(tf, h, 1), config.vocabSize());
  }

  /** Token embeddings {@code [B, S, D]} with the image features spliced in at the image tokens. */
  public static Operand<TFloat32> embed(Ops tf, ModelVariables vars, int imageTokenIndex, int numPatches,
      TextConfig config, Operand<TInt32> inputIds, Operand<TFloat32> imageFeatures) {
    Operand<TFloat32> embeds = tf.gather(vars.get(VariableNames.EMBED_TOKENS), inputIds, tf.constant(0)); // [B,S,D]
    return ImageSplice.apply(tf, embeds, inputIds, imageFeatures, imageTokenIndex, numPatches, config.hiddenSize());
  }
}
