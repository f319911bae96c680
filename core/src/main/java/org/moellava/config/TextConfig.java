package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The decoder LLM (Qwen2-MoE style). Keys follow Hugging Face {@code Qwen2MoeConfig} where the concept
 * exists there; {@code moe_layers}, {@code capacity_factor}, {@code eval_capacity_factor} and
 * {@code router_gumbel_noise} are the project's own.
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
 * @param rmsNormEps RMSNorm epsilon
 * @param hiddenAct FFN activation; only {@code silu} is supported
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
    @JsonProperty(value = "eos_token_id", required = true) int eosTokenId) {

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
        evalCapacityFactor, routerAuxLossCoef, routerGumbelNoise, padTokenId, eosTokenId);
  }
}
