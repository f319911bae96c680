package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The CLIP-style vision tower. Keys follow Hugging Face {@code CLIPVisionConfig}.
 *
 * @param hiddenSize width D of the encoder
 * @param intermediateSize width of the encoder MLP
 * @param numHiddenLayers number of encoder layers N
 * @param numAttentionHeads attention heads per layer
 * @param numChannels input channels (3)
 * @param imageSize square input size in pixels
 * @param patchSize patch size; {@code imageSize} must be a multiple of it
 * @param layerNormEps LayerNorm epsilon
 * @param hiddenAct MLP activation; only {@code quick_gelu} is supported
 */
public record VisionConfig(
    @JsonProperty(value = "hidden_size", required = true) int hiddenSize,
    @JsonProperty(value = "intermediate_size", required = true) int intermediateSize,
    @JsonProperty(value = "num_hidden_layers", required = true) int numHiddenLayers,
    @JsonProperty(value = "num_attention_heads", required = true) int numAttentionHeads,
    @JsonProperty(value = "num_channels", required = true) int numChannels,
    @JsonProperty(value = "image_size", required = true) int imageSize,
    @JsonProperty(value = "patch_size", required = true) int patchSize,
    @JsonProperty(value = "layer_norm_eps", required = true) double layerNormEps,
    @JsonProperty(value = "hidden_act", required = true) String hiddenAct) {

  /** Patches per side. */
  public int patchesPerSide() {
    return imageSize / patchSize;
  }

  /** Image tokens P after dropping the class token. */
  public int numPatches() {
    return patchesPerSide() * patchesPerSide();
  }

  /** Per-head width. */
  public int headDim() {
    return hiddenSize / numAttentionHeads;
  }
}
