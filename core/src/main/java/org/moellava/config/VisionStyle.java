package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import org.moellava.error.ConfigException;

/**
 * The family a vision tower belongs to ({@code vision_config.vision_style}); a config without it is {@code clip}.
 *
 * <ul>
 *   <li>{@link #CLIP}: Hugging Face {@code CLIPVisionModel}. Patch convolution without bias, a class token, learned
 *       positions for class + patches, {@code pre_layrnorm}, pre-LN encoder layers with {@code quick_gelu}.</li>
 *   <li>{@link #SIGLIP}: Hugging Face {@code SiglipVisionModel} (MoE-LLaVA's {@code -384} variant,
 *       {@code google/siglip-so400m-patch14-384}). Patch convolution WITH bias, no class token, learned positions for
 *       the patches only, no pre-LayerNorm, the same encoder layers with {@code gelu_pytorch_tanh}; its
 *       {@code post_layernorm} and attention-pooling {@code head} are kept in checkpoints but unused (LLaVA takes a
 *       hidden state of the encoder).</li>
 * </ul>
 *
 * <p>Either way the image tokens are the hidden state of the feature layer without its FIRST position: CLIP's class
 * token, and for SigLIP, which has none, a real patch. That is what MoE-LLaVA does: its {@code feature_select} with
 * {@code mm_vision_select_feature = "patch"} slices {@code [:, 1:]} whatever the tower, so its SigLIP-so400m variant
 * feeds 728 of the 729 patches to the projector. See {@link VisionConfig#numPatches()}.
 */
public enum VisionStyle {
  /** CLIP ViT. */
  CLIP("clip", "quick_gelu", List.of(0.48145466, 0.4578275, 0.40821073), List.of(0.26862954, 0.26130258, 0.27577711)),
  /** SigLIP ViT. */
  SIGLIP("siglip", "gelu_pytorch_tanh", List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5));

  private final String id;
  private final String hiddenAct;
  private final List<Double> imageMean;
  private final List<Double> imageStd;

  VisionStyle(String id, String hiddenAct, List<Double> imageMean, List<Double> imageStd) {
    this.id = id;
    this.hiddenAct = hiddenAct;
    this.imageMean = imageMean;
    this.imageStd = imageStd;
  }

  /** The name in {@code config.json}. */
  @JsonValue
  public String id() {
    return id;
  }

  /** The encoder MLP's activation ({@code vision_config.hidden_act}), the only one the style accepts. */
  public String hiddenAct() {
    return hiddenAct;
  }

  /** The image processor's per-channel mean of the published towers of this style. */
  public List<Double> imageMean() {
    return imageMean;
  }

  /** The image processor's per-channel std of the published towers of this style. */
  public List<Double> imageStd() {
    return imageStd;
  }

  /** Whether the tower prepends a class token (and has a position for it). */
  public boolean classToken() {
    return this == CLIP;
  }

  /** Whether the tower LayerNorms the embeddings before the encoder ({@code pre_layrnorm}). */
  public boolean preLayerNorm() {
    return this == CLIP;
  }

  /** Whether the patch convolution has a bias. */
  public boolean patchBias() {
    return this == SIGLIP;
  }

  /** Parses a config value; an unknown name fails naming the field. */
  @JsonCreator
  public static VisionStyle parse(String id) {
    for (VisionStyle s : values()) {
      if (s.id.equals(id)) return s;
    }
    throw new ConfigException("vision_config.vision_style: unknown vision style '" + id + "' (expected clip or siglip)");
  }

  @Override
  public String toString() {
    return id;
  }
}
