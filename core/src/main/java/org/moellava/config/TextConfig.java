package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The decoder LLM. Keys follow Hugging Face {@code Qwen2MoeConfig} where the concept exists there;
 * {@code moe_layers}, {@code capacity_factor}, {@code eval_capacity_factor}, {@code min_capacity},
 * {@code router_gumbel_noise} and the architecture fields ({@link DecoderArchitecture}: {@code decoder_style} to {@code lm_head_bias}) are the project's
 * own. {@code min_capacity} may be left out of {@code config.json} (0: no floor). The architecture fields may be left
 * out of {@code config.json}: they then take their
 * {@code decoder_style}'s values ({@link DecoderStyle#defaults()}), and a config without {@code decoder_style} is
 * {@code qwen2_moe}, the default architecture of docs/architecture.md §2.
 *
 * @param vocabSize vocabulary size V
 * @param hiddenSize model width D
 * @param intermediateSize width of the dense SwiGLU FFN
 * @param moeIntermediateSize width of each expert's SwiGLU FFN
 * @param numHiddenLayers decoder layers L
 * @param numAttentionHeads query heads
 * @param numKeyValueHeads key/value heads (grouped-query attention)
 * @param maxPositionEmbeddings context limit
 * @param ropeTheta RoPE base
 * @param rmsNormEps epsilon of the decoder's norms (RMSNorm or LayerNorm, see {@code norm_type})
 * @param hiddenAct FFN activation: {@code silu} for the SwiGLU MLP, {@code gelu_new} (tanh approximation) or
 *     {@code gelu} (exact) for the fc MLP
 * @param tieWordEmbeddings whether lm_head shares the embedding matrix
 * @param numExperts experts E per MoE layer
 * @param numExpertsPerTok experts k each token is routed to
 * @param normTopkProb renormalise the chosen experts' probabilities to sum to 1
 * @param moeLayers which layers are MoE layers
 * @param capacityFactor capacity factor during training (1.5)
 * @param evalCapacityFactor capacity factor in evaluation (2.0)
 * @param routerAuxLossCoef α, the weight of the load-balancing loss (0.01)
 * @param routerGumbelNoise Gumbel noise on the second choice during training (off; never at inference)
 * @param padTokenId padding token id
 * @param eosTokenId end-of-sequence token id
 * @param decoderStyle the decoder family ({@link DecoderStyle})
 * @param normType RMSNorm or LayerNorm
 * @param normBias LayerNorm with a bias
 * @param qkvBias q/k/v projections with biases
 * @param oProjBias attention output projection with a bias
 * @param partialRotaryFactor fraction of each head's dims that RoPE rotates (the first ones)
 * @param parallelResidual attention and FFN read one norm and are added in parallel
 * @param mlpType SwiGLU or fc1/fc2
 * @param mlpBias fc1/fc2 with biases
 * @param lmHeadBias lm_head with a bias
 * @param minCapacity floor of the training form's per-expert capacity (DeepSpeed's {@code min_capacity}; 0: none)
 */
public record TextConfig(
    @JsonProperty(value = "vocab_size", required = true) int vocabSize,
    @JsonProperty(value = "hidden_size", required = true) int hiddenSize,
    @JsonProperty(value = "intermediate_size", required = true) int intermediateSize,
    @JsonProperty(value = "moe_intermediate_size", required = true) int moeIntermediateSize,
    @JsonProperty(value = "num_hidden_layers", required = true) int numHiddenLayers,
    @JsonProperty(value = "num_attention_heads", required = true) int numAttentionHeads,
    @JsonProperty(value = "num_key_value_heads", required = true) int numKeyValueHeads,
    @JsonProperty(value = "max_position_embeddings", required = true) int maxPositionEmbeddings,
    @JsonProperty(value = "rope_theta", required = true) double ropeTheta,
    @JsonProperty(value = "rms_norm_eps", required = true) double rmsNormEps,
    @JsonProperty(value = "hidden_act", required = true) String hiddenAct,
    @JsonProperty(value = "tie_word_embeddings", required = true) boolean tieWordEmbeddings,
    @JsonProperty(value = "num_experts", required = true) int numExperts,
    @JsonProperty(value = "num_experts_per_tok", required = true) int numExpertsPerTok,
    @JsonProperty(value = "norm_topk_prob", required = true) boolean normTopkProb,
    @JsonProperty(value = "moe_layers", required = true) MoeLayers moeLayers,
    @JsonProperty(value = "capacity_factor", required = true) double capacityFactor,
    @JsonProperty(value = "eval_capacity_factor", required = true) double evalCapacityFactor,
    @JsonProperty(value = "router_aux_loss_coef", required = true) double routerAuxLossCoef,
    @JsonProperty(value = "router_gumbel_noise", required = true) boolean routerGumbelNoise,
    @JsonProperty(value = "pad_token_id", required = true) int padTokenId,
    @JsonProperty(value = "eos_token_id", required = true) int eosTokenId,
    @JsonProperty(value = "decoder_style", required = true) DecoderStyle decoderStyle,
    @JsonProperty(value = "norm_type", required = true) NormType normType,
    @JsonProperty(value = "norm_bias", required = true) boolean normBias,
    @JsonProperty(value = "qkv_bias", required = true) boolean qkvBias,
    @JsonProperty(value = "o_proj_bias", required = true) boolean oProjBias,
    @JsonProperty(value = "partial_rotary_factor", required = true) double partialRotaryFactor,
    @JsonProperty(value = "parallel_residual", required = true) boolean parallelResidual,
    @JsonProperty(value = "mlp_type", required = true) MlpType mlpType,
    @JsonProperty(value = "mlp_bias", required = true) boolean mlpBias,
    @JsonProperty(value = "lm_head_bias", required = true) boolean lmHeadBias,
    @JsonProperty(value = "min_capacity", required = true) int minCapacity) {

  /** A decoder of the default architecture ({@link DecoderStyle#QWEN2_MOE}). */
  public TextConfig(int vocabSize, int hiddenSize, int intermediateSize, int moeIntermediateSize,
      int numHiddenLayers, int numAttentionHeads, int numKeyValueHeads, int maxPositionEmbeddings, double ropeTheta,
      double rmsNormEps, String hiddenAct, boolean tieWordEmbeddings, int numExperts, int numExpertsPerTok,
      boolean normTopkProb, MoeLayers moeLayers, double capacityFactor, double evalCapacityFactor,
      double routerAuxLossCoef, boolean routerGumbelNoise, int padTokenId, int eosTokenId) {
    this(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers, numAttentionHeads,
        numKeyValueHeads, maxPositionEmbeddings, ropeTheta, rmsNormEps, hiddenAct, tieWordEmbeddings, numExperts,
        numExpertsPerTok, normTopkProb, moeLayers, capacityFactor, evalCapacityFactor, routerAuxLossCoef,
        routerGumbelNoise, padTokenId, eosTokenId, DecoderStyle.QWEN2_MOE.defaults());
  }

  /** A decoder of the given architecture. */
  public TextConfig(int vocabSize, int hiddenSize, int intermediateSize, int moeIntermediateSize,
      int numHiddenLayers, int numAttentionHeads, int numKeyValueHeads, int maxPositionEmbeddings, double ropeTheta,
      double rmsNormEps, String hiddenAct, boolean tieWordEmbeddings, int numExperts, int numExpertsPerTok,
      boolean normTopkProb, MoeLayers moeLayers, double capacityFactor, double evalCapacityFactor,
      double routerAuxLossCoef, boolean routerGumbelNoise, int padTokenId, int eosTokenId, DecoderArchitecture a) {
    this(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers, numAttentionHeads,
        numKeyValueHeads, maxPositionEmbeddings, ropeTheta, rmsNormEps, hiddenAct, tieWordEmbeddings, numExperts,
        numExpertsPerTok, normTopkProb, moeLayers, capacityFactor, evalCapacityFactor, routerAuxLossCoef,
        routerGumbelNoise, padTokenId, eosTokenId, a.style(), a.normType(), a.normBias(), a.qkvBias(), a.oProjBias(),
        a.partialRotaryFactor(), a.parallelResidual(), a.mlpType(), a.mlpBias(), a.lmHeadBias(), 0);
  }

  /**
   * The same config with another {@code min_capacity}: the floor of the training form's per-expert capacity,
   * DeepSpeed's {@code max(ceil(T / E · k · cf), min_capacity)} (0, the default, is no floor).
   */
  public TextConfig withMinCapacity(int min) {
    return new TextConfig(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, maxPositionEmbeddings, ropeTheta, rmsNormEps, hiddenAct,
        tieWordEmbeddings, numExperts, numExpertsPerTok, normTopkProb, moeLayers, capacityFactor, evalCapacityFactor,
        routerAuxLossCoef, routerGumbelNoise, padTokenId, eosTokenId, decoderStyle, normType, normBias, qkvBias,
        oProjBias, partialRotaryFactor, parallelResidual, mlpType, mlpBias, lmHeadBias, min);
  }

  /** The architecture fields as one value. */
  @JsonIgnore
  public DecoderArchitecture architecture() {
    return new DecoderArchitecture(decoderStyle, normType, normBias, qkvBias, oProjBias, partialRotaryFactor,
        parallelResidual, mlpType, mlpBias, lmHeadBias);
  }

  /** The same config with another architecture (the activation is left as it is). */
  public TextConfig withArchitecture(DecoderArchitecture a) {
    return new TextConfig(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, maxPositionEmbeddings, ropeTheta, rmsNormEps, hiddenAct,
        tieWordEmbeddings, numExperts, numExpertsPerTok, normTopkProb, moeLayers, capacityFactor, evalCapacityFactor,
        routerAuxLossCoef, routerGumbelNoise, padTokenId, eosTokenId, a).withMinCapacity(minCapacity);
  }

  /** The same config with another FFN activation. */
  public TextConfig withHiddenAct(String act) {
    return new TextConfig(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, maxPositionEmbeddings, ropeTheta, rmsNormEps, act,
        tieWordEmbeddings, numExperts, numExpertsPerTok, normTopkProb, moeLayers, capacityFactor, evalCapacityFactor,
        routerAuxLossCoef, routerGumbelNoise, padTokenId, eosTokenId, architecture()).withMinCapacity(minCapacity);
  }

  /** The style's architecture and activation: a decoder of that family with this config's sizes. */
  public TextConfig withStyle(DecoderStyle style) {
    return withArchitecture(style.defaults()).withHiddenAct(style.hiddenAct());
  }

  /**
   * The number of leading dims of each head that RoPE rotates, {@code int(head_dim · partial_rotary_factor)}
   * (truncated, as StableLM, Phi and Qwen compute it).
   */
  @JsonIgnore
  public int rotaryDim() {
    return (int) (headDim() * partialRotaryFactor);
  }

  /** Per-head width. */
  @JsonIgnore
  public int headDim() {
    return hiddenSize / numAttentionHeads;
  }

  /** Sorted indices of the MoE layers. */
  @JsonIgnore
  public List<Integer> moeLayerIndices() {
    return moeLayers.resolve(numHiddenLayers);
  }

  /** Whether decoder layer {@code layer} is a MoE layer. */
  public boolean isMoeLayer(int layer) {
    return moeLayerIndices().contains(layer);
  }

  /** The same config with another MoE placement (for example {@code none} for the dense stages). */
  public TextConfig withMoeLayers(MoeLayers layers) {
    return new TextConfig(vocabSize, hiddenSize, intermediateSize, moeIntermediateSize, numHiddenLayers,
        numAttentionHeads, numKeyValueHeads, maxPositionEmbeddings, ropeTheta, rmsNormEps, hiddenAct,
        tieWordEmbeddings, numExperts, numExpertsPerTok, normTopkProb, layers, capacityFactor,
        evalCapacityFactor, routerAuxLossCoef, routerGumbelNoise, padTokenId, eosTokenId, architecture())
        .withMinCapacity(minCapacity);
  }
}
