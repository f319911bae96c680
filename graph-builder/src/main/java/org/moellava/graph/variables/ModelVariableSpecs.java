package org.moellava.graph.variables;

import java.util.ArrayList;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.config.VisionStyle;
import org.moellava.graph.variables.VariableSpec.Init;

/** The complete, ordered list of variables of a model, split into the parts each graph needs. */
public final class ModelVariableSpecs {
  private ModelVariableSpecs() {}

  /** Every variable of the model: vision tower, projector, decoder (with embeddings and lm_head). */
  public static List<VariableSpec> all(ModelConfig config) {
    List<VariableSpec> out = new ArrayList<>(vision(config));
    out.addAll(projector(config));
    out.addAll(embeddings(config));
    out.addAll(decoder(config));
    return List.copyOf(out);
  }

  /**
   * The vision tower (CLIP or SigLIP, {@code vision_config.vision_style}), including layers past the feature layer,
   * the (unused) post_layernorm and, for SigLIP, the (unused) attention-pooling head.
   */
  public static List<VariableSpec> vision(ModelConfig config) {
    VisionConfig v = config.visionConfig();
    VisionStyle style = v.visionStyle();
    long d = v.hiddenSize();
    List<VariableSpec> out = new ArrayList<>();
    out.add(new VariableSpec(VariableNames.PATCH_EMBEDDING_KERNEL,
        new long[] {v.patchSize(), v.patchSize(), v.numChannels(), d}, Init.NORMAL));
    if (style.patchBias()) out.add(new VariableSpec(VariableNames.PATCH_EMBEDDING_BIAS, new long[] {d}, Init.ZEROS));
    if (style.classToken()) out.add(new VariableSpec(VariableNames.CLASS_EMBEDDING, new long[] {d}, Init.NORMAL));
    out.add(new VariableSpec(VariableNames.POSITION_EMBEDDING, new long[] {v.positionEmbeddings(), d}, Init.NORMAL));
    if (style.preLayerNorm()) layerNorm(out, VariableNames.PRE_LAYERNORM, d);
    for (int i = 0; i < v.numHiddenLayers(); i++) {
      String p = VariableNames.visionLayer(i);
      for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
        linear(out, p + "/self_attn/" + proj, d, d, true);
      }
      layerNorm(out, p + "/layer_norm1", d);
      linear(out, p + "/mlp/fc1", d, v.intermediateSize(), true);
      linear(out, p + "/mlp/fc2", v.intermediateSize(), d, true);
      layerNorm(out, p + "/layer_norm2", d);
    }
    layerNorm(out, VariableNames.POST_LAYERNORM, d);
    if (style == VisionStyle.SIGLIP) {
      String h = VariableNames.VISION_HEAD;
      out.add(new VariableSpec(h + "/probe", new long[] {1, 1, d}, Init.NORMAL));
      linear(out, h + "/attention/in_proj", d, 3 * d, true);
      linear(out, h + "/attention/out_proj", d, d, true);
      layerNorm(out, h + "/layernorm", d);
      linear(out, h + "/mlp/fc1", d, v.intermediateSize(), true);
      linear(out, h + "/mlp/fc2", v.intermediateSize(), d, true);
    }
    return List.copyOf(out);
  }

  /** The two-layer projector. */
  public static List<VariableSpec> projector(ModelConfig config) {
    long dv = config.visionConfig().hiddenSize();
    long d = config.textConfig().hiddenSize();
    List<VariableSpec> out = new ArrayList<>();
    linear(out, VariableNames.PROJECTOR_LINEAR_1, dv, d, true);
    linear(out, VariableNames.PROJECTOR_LINEAR_2, d, d, true);
    return List.copyOf(out);
  }

  /** The token embedding matrix. */
  public static List<VariableSpec> embeddings(ModelConfig config) {
    TextConfig t = config.textConfig();
    return List.of(new VariableSpec(VariableNames.EMBED_TOKENS, new long[] {t.vocabSize(), t.hiddenSize()},
        Init.NORMAL));
  }

  /**
   * The decoder layers, final norm and lm_head (absent when {@code tie_word_embeddings}); the embedding matrix is
   * listed by {@link #embeddings} and is also needed by the decoder graph when embeddings are tied.
   */
  public static List<VariableSpec> decoder(ModelConfig config) {
    TextConfig t = config.textConfig();
    long d = t.hiddenSize();
    long hd = t.headDim();
    List<VariableSpec> out = new ArrayList<>();
    for (int i = 0; i < t.numHiddenLayers(); i++) {
      String p = VariableNames.decoderLayer(i);
      norm(out, p + "/input_layernorm", d, t);
      linear(out, p + "/self_attn/q_proj", d, t.numAttentionHeads() * hd, t.qkvBias());
      linear(out, p + "/self_attn/k_proj", d, t.numKeyValueHeads() * hd, t.qkvBias());
      linear(out, p + "/self_attn/v_proj", d, t.numKeyValueHeads() * hd, t.qkvBias());
      linear(out, p + "/self_attn/o_proj", t.numAttentionHeads() * hd, d, t.oProjBias());
      if (!t.parallelResidual()) norm(out, p + "/post_attention_layernorm", d, t);
      if (t.isMoeLayer(i)) {
        long e = t.numExperts();
        long im = t.moeIntermediateSize();
        out.add(new VariableSpec(VariableNames.routerKernel(i), new long[] {d, e}, Init.NORMAL));
        switch (t.mlpType()) {
          case SWIGLU -> {
            out.add(new VariableSpec(VariableNames.expertsGate(i), new long[] {e, d, im}, Init.NORMAL));
            out.add(new VariableSpec(VariableNames.expertsUp(i), new long[] {e, d, im}, Init.NORMAL));
            out.add(new VariableSpec(VariableNames.expertsDown(i), new long[] {e, im, d}, Init.NORMAL));
          }
          case FC -> {
            out.add(new VariableSpec(VariableNames.expertsFc1(i), new long[] {e, d, im}, Init.NORMAL));
            if (t.mlpBias()) out.add(new VariableSpec(VariableNames.expertsFc1Bias(i), new long[] {e, im}, Init.ZEROS));
            out.add(new VariableSpec(VariableNames.expertsFc2(i), new long[] {e, im, d}, Init.NORMAL));
            if (t.mlpBias()) out.add(new VariableSpec(VariableNames.expertsFc2Bias(i), new long[] {e, d}, Init.ZEROS));
          }
        }
      } else {
        long im = t.intermediateSize();
        switch (t.mlpType()) {
          case SWIGLU -> {
            out.add(new VariableSpec(VariableNames.denseGate(i), new long[] {d, im}, Init.NORMAL));
            out.add(new VariableSpec(VariableNames.denseUp(i), new long[] {d, im}, Init.NORMAL));
            out.add(new VariableSpec(VariableNames.denseDown(i), new long[] {im, d}, Init.NORMAL));
          }
          case FC -> {
            linear(out, VariableNames.denseFc1(i), d, im, t.mlpBias());
            linear(out, VariableNames.denseFc2(i), im, d, t.mlpBias());
          }
        }
      }
    }
    norm(out, VariableNames.FINAL_NORM, d, t);
    if (!t.tieWordEmbeddings()) {
      out.add(new VariableSpec(VariableNames.LM_HEAD_KERNEL, new long[] {d, t.vocabSize()}, Init.NORMAL));
    }
    if (t.lmHeadBias()) {
      out.add(new VariableSpec(VariableNames.LM_HEAD_BIAS, new long[] {t.vocabSize()}, Init.ZEROS));
    }
    return List.copyOf(out);
  }

  /** A decoder norm: {@code gamma}, and {@code beta} for a LayerNorm with bias. */
  private static void norm(List<VariableSpec> out, String prefix, long d, TextConfig t) {
    out.add(new VariableSpec(prefix + "/gamma", new long[] {d}, Init.ONES));
    if (t.normBias()) out.add(new VariableSpec(prefix + "/beta", new long[] {d}, Init.ZEROS));
  }

  private static void linear(List<VariableSpec> out, String prefix, long in, long outDim, boolean bias) {
    out.add(new VariableSpec(prefix + "/kernel", new long[] {in, outDim}, Init.NORMAL));
    if (bias) out.add(new VariableSpec(prefix + "/bias", new long[] {outDim}, Init.ZEROS));
  }

  private static void layerNorm(List<VariableSpec> out, String prefix, long d) {
    out.add(new VariableSpec(prefix + "/gamma", new long[] {d}, Init.ONES));
    out.add(new VariableSpec(prefix + "/beta", new long[] {d}, Init.ZEROS));
  }
}
