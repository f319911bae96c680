package org.moellava.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Total and activated parameter counts of a {@link ModelConfig}, split by component. "Activated" counts what one
 * token uses: k of the E experts on each MoE layer, everything else in full.
 *
 * @param total parameters per component
 * @param activated parameters per component used by one token
 */
public record ParameterCount(Map<String, Long> total, Map<String, Long> activated) {
  /** Components of the LLM, in print order. */
  public static final String[] LLM_COMPONENTS = {"embeddings", "attention", "norms", "ffn", "experts", "routers", "lm_head"};

  public ParameterCount {
    total = Map.copyOf(total);
    activated = Map.copyOf(activated);
  }

  /** Counts the parameters of {@code config}. */
  public static ParameterCount of(ModelConfig config) {
    Map<String, Long> total = new LinkedHashMap<>();
    Map<String, Long> activated = new LinkedHashMap<>();
    VisionConfig v = config.visionConfig();
    TextConfig t = config.textConfig();

    long dv = v.hiddenSize();
    long patchEmbed = (long) v.numChannels() * v.patchSize() * v.patchSize() * dv;
    VisionStyle style = v.visionStyle();
    long visionEmbeddings = patchEmbed + (style.patchBias() ? dv : 0) + (style.classToken() ? dv : 0)
        + (long) v.positionEmbeddings() * dv + (style.preLayerNorm() ? 2 * dv : 0); // patches, class, positions, pre-LN
    long visionMlp = (dv * v.intermediateSize() + v.intermediateSize()) + (v.intermediateSize() * dv + dv);
    long visionLayer = 4 * (dv * dv + dv) + 2 * (2 * dv) + visionMlp;
    // SigLIP's attention-pooling head (unused by LLaVA, kept): probe, in_proj, out_proj, LayerNorm, MLP
    long head = style == VisionStyle.SIGLIP ? dv + (3 * dv * dv + 3 * dv) + (dv * dv + dv) + 2 * dv + visionMlp : 0;
    long vision = visionEmbeddings + v.numHiddenLayers() * visionLayer + 2 * dv + head; // + post-LN
    put(total, activated, "vision", vision, vision);

    long d = t.hiddenSize();
    long projector = dv * d + d + d * d + d;
    put(total, activated, "projector", projector, projector);

    long hd = t.headDim();
    long qkvBias = t.qkvBias() ? 1 : 0;
    long q = d * t.numAttentionHeads() * hd + qkvBias * t.numAttentionHeads() * hd;
    long kv = 2 * (d * t.numKeyValueHeads() * hd + qkvBias * t.numKeyValueHeads() * hd);
    long o = t.numAttentionHeads() * hd * d + (t.oProjBias() ? d : 0);
    int layers = t.numHiddenLayers();
    int moeLayers = t.moeLayerIndices().size();
    int denseLayers = layers - moeLayers;
    long expert = mlp(t, t.moeIntermediateSize());
    long norm = t.normBias() ? 2 * d : d; // gain, and bias for LayerNorm with bias
    long normsPerLayer = t.parallelResidual() ? 1 : 2;

    put(total, activated, "embeddings", t.vocabSize() * d, t.vocabSize() * d);
    put(total, activated, "attention", layers * (q + kv + o), layers * (q + kv + o));
    put(total, activated, "norms", (normsPerLayer * layers + 1) * norm, (normsPerLayer * layers + 1) * norm);
    long ffn = denseLayers * mlp(t, t.intermediateSize());
    put(total, activated, "ffn", ffn, ffn);
    put(total, activated, "experts", moeLayers * t.numExperts() * expert, moeLayers * t.numExpertsPerTok() * expert);
    put(total, activated, "routers", moeLayers * t.numExperts() * d, moeLayers * t.numExperts() * d);
    long lmHead = (t.tieWordEmbeddings() ? 0 : t.vocabSize() * d) + (t.lmHeadBias() ? t.vocabSize() : 0);
    put(total, activated, "lm_head", lmHead, lmHead);
    return new ParameterCount(total, activated);
  }

  /** Parameters of one FFN of width {@code width}: SwiGLU {@code 3·D·I}; fc {@code 2·D·I} plus biases {@code I + D}. */
  private static long mlp(TextConfig t, long width) {
    long d = t.hiddenSize();
    return switch (t.mlpType()) {
      case SWIGLU -> 3 * d * width;
      case FC -> 2 * d * width + (t.mlpBias() ? width + d : 0);
    };
  }

  /** Total parameters of the LLM alone (the paper's convention). */
  public long llmTotal() {
    return sum(total, LLM_COMPONENTS);
  }

  /** Activated parameters of the LLM alone. */
  public long llmActivated() {
    return sum(activated, LLM_COMPONENTS);
  }

  /** Total parameters of the whole model. */
  public long grandTotal() {
    return total.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Activated parameters of the whole model. */
  public long grandActivated() {
    return activated.values().stream().mapToLong(Long::longValue).sum();
  }

  private static long sum(Map<String, Long> m, String[] keys) {
    long s = 0;
    for (String k : keys) s += m.getOrDefault(k, 0L);
    return s;
  }

  private static void put(Map<String, Long> total, Map<String, Long> activated, String name, long t, long a) {
    total.put(name, t);
    activated.put(name, a);
  }
}
