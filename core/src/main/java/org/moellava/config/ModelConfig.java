package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The whole model: vision tower, projector and decoder, plus preprocessing and training settings. Keys follow
 * Hugging Face {@code LlavaConfig}; {@code image_mean}, {@code image_std}, {@code image_aspect_mode} and
 * {@code training} are the project's own. Read and write it with {@link ModelConfigIO}; every instance that
 * leaves {@link ModelConfigIO} or {@link Presets} has passed {@link ConfigValidator}.
 *
 * @param modelType always {@code "llava"}
 * @param imageTokenIndex id of the image placeholder token
 * @param visionFeatureLayer index into the encoder's hidden states (-2: after layer N-1)
 * @param projectorHiddenAct projector activation; only exact {@code gelu}
 * @param visionConfig the vision tower
 * @param textConfig the decoder
 * @param imageMean per-channel normalisation mean (CLIP's by default)
 * @param imageStd per-channel normalisation std
 * @param imageAspectMode {@code crop} (resize shortest side, centre crop) or {@code pad} (pad to square)
 * @param training per-stage optimiser settings
 * @param systemPrompt the system prompt of the chat template {@code {system} USER: <image>\n{q} ASSISTANT: {a}{eos}}
 */
public record ModelConfig(
    @JsonProperty(value = "model_type", required = true) String modelType,
    @JsonProperty(value = "image_token_index", required = true) int imageTokenIndex,
    @JsonProperty(value = "vision_feature_layer", required = true) int visionFeatureLayer,
    @JsonProperty(value = "projector_hidden_act", required = true) String projectorHiddenAct,
    @JsonProperty(value = "vision_config", required = true) VisionConfig visionConfig,
    @JsonProperty(value = "text_config", required = true) TextConfig textConfig,
    @JsonProperty(value = "image_mean", required = true) List<Double> imageMean,
    @JsonProperty(value = "image_std", required = true) List<Double> imageStd,
    @JsonProperty(value = "image_aspect_mode", required = true) String imageAspectMode,
    @JsonProperty(value = "training", required = true) TrainingConfig training,
    @JsonProperty(value = "system_prompt", required = true) String systemPrompt) {

  /** LLaVA's default system prompt, used where a config gives none (for example on Hugging Face import). */
  public static final String DEFAULT_SYSTEM_PROMPT = "A chat between a curious user and an artificial intelligence "
      + "assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

  /** A config with LLaVA's default system prompt. */
  public ModelConfig(String modelType, int imageTokenIndex, int visionFeatureLayer, String projectorHiddenAct,
      VisionConfig visionConfig, TextConfig textConfig, List<Double> imageMean, List<Double> imageStd,
      String imageAspectMode, TrainingConfig training) {
    this(modelType, imageTokenIndex, visionFeatureLayer, projectorHiddenAct, visionConfig, textConfig, imageMean,
        imageStd, imageAspectMode, training, DEFAULT_SYSTEM_PROMPT);
  }

  /** CLIP's normalisation mean. */
  public static final List<Double> CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
  /** CLIP's normalisation std. */
  public static final List<Double> CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);

  @com.fasterxml.jackson.annotation.JsonCreator
  public ModelConfig {
    imageMean = List.copyOf(imageMean);
    imageStd = List.copyOf(imageStd);
  }

  /**
   * Number of encoder layers whose output feeds the projector: {@code vision_feature_layer} indexes the
   * N+1 hidden states (embeddings, then each layer), so -2 means after layer N-1.
   */
  public int visionLayersUsed() {
    int n = visionConfig.numHiddenLayers();
    return visionFeatureLayer < 0 ? n + 1 + visionFeatureLayer : visionFeatureLayer;
  }

  /** The same config with another decoder config. */
  public ModelConfig withTextConfig(TextConfig text) {
    return new ModelConfig(modelType, imageTokenIndex, visionFeatureLayer, projectorHiddenAct, visionConfig,
        text, imageMean, imageStd, imageAspectMode, training, systemPrompt);
  }
}
