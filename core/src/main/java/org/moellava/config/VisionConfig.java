package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The vision tower. Keys follow Hugging Face {@code CLIPVisionConfig} / {@code SiglipVisionConfig};
 * {@code vision_style} is the project's own and may be left out of {@code config.json} (it is then {@code clip}, so
 * configs written before it existed read unchanged).
 *
 * @param hiddenSize width D of the encoder
 * @param intermediateSize width of the encoder MLP
 * @param numHiddenLayers number of encoder layers N
 * @param numAttentionHeads attention heads per layer
 * @param numChannels input channels (3)
 * @param imageSize square input size in pixels
 * @param patchSize patch size; {@code imageSize} must be a multiple of it
 * @param layerNormEps LayerNorm epsilon
 * @param hiddenAct MLP activation: {@code quick_gelu} for CLIP, {@code gelu_pytorch_tanh} for SigLIP
 * @param visionStyle the tower family ({@link VisionStyle})
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
    @JsonProperty(value = "hidden_act", required = true) String hiddenAct,
    @JsonProperty(value = "vision_style", required = true) VisionStyle visionStyle) {

  /** A CLIP tower. */
  public VisionConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
      int numChannels, int imageSize, int patchSize, double layerNormEps, String hiddenAct) {
    this(hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads, numChannels, imageSize, patchSize,
        layerNormEps, hiddenAct, VisionStyle.CLIP);
  }

  /** Patches per side. */
  public int patchesPerSide() {
    return imageSize / patchSize;
  }

  /** Patches of the image grid, {@code patchesPerSide²} (SigLIP-so400m-patch14-384: 729). */
  @JsonIgnore
  public int gridPatches() {
    return patchesPerSide() * patchesPerSide();
  }

  /** Rows of the learned position embedding: the grid, plus the class token's for CLIP. */
  @JsonIgnore
  public int positionEmbeddings() {
    return gridPatches() + (visionStyle.classToken() ? 1 : 0);
  }

  /**
   * Image tokens P: the positions of the tower's output without the first (LLaVA's {@code feature_select} with
   * {@code "patch"}). For CLIP that drops the class token, P = {@link #gridPatches()}; SigLIP has no class token and
   * MoE-LLaVA drops its first patch all the same, P = {@link #gridPatches()} − 1 (so400m-patch14-384: 728).
   */
  public int numPatches() {
    return positionEmbeddings() - 1;
  }

  /** Per-head width. */
  public int headDim() {
    return hiddenSize / numAttentionHeads;
  }
}
