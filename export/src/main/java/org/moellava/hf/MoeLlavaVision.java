package org.moellava.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.moellava.config.VisionConfig;
import org.moellava.config.VisionStyle;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;

/**
 * The vision tower of a MoE-LLaVA checkpoint. Its config.json names the tower only by hub id
 * ({@code mm_image_tower}); the tower's own config comes from {@code --vision DIR} (a local copy of that tower:
 * {@code config.json} of a {@code clip_vision_model}, {@code clip}, {@code siglip_vision_model} or {@code siglip}
 * model, and its weights when the checkpoint has none), or for the published towers from a built-in table: CLIP
 * ViT-L/14 (224, 336) and SigLIP-so400m-patch14-384 (MoE-LLaVA's {@code -384} variant).
 */
final class MoeLlavaVision {
  private MoeLlavaVision() {}

  /** The hub id of SigLIP-so400m-patch14-384, MoE-LLaVA's {@code -384} tower. */
  static final String SIGLIP_SO400M = "google/siglip-so400m-patch14-384";
  /** The hub id of CLIP ViT-L/14-336, the other published families' tower. */
  static final String CLIP_L_336 = "openai/clip-vit-large-patch14-336";

  /** The published towers, by hub id (SigLIP-so400m: transformers' SiglipVisionConfig defaults for eps and act). */
  private static final Map<String, VisionConfig> KNOWN = Map.of(
      CLIP_L_336, new VisionConfig(1024, 4096, 24, 16, 3, 336, 14, 1e-5, "quick_gelu"),
      "openai/clip-vit-large-patch14", new VisionConfig(1024, 4096, 24, 16, 3, 224, 14, 1e-5, "quick_gelu"),
      SIGLIP_SO400M, new VisionConfig(1152, 4304, 27, 16, 3, 384, 14, 1e-6, "gelu_pytorch_tanh", VisionStyle.SIGLIP));

  /** The hub id a generated config.json names for a tower of {@code style}. */
  static String defaultTowerId(VisionStyle style) {
    return style == VisionStyle.SIGLIP ? SIGLIP_SO400M : CLIP_L_336;
  }

  /** The tower config of {@code visionDir}'s config.json. */
  static VisionConfig fromDir(Path visionDir) {
    Path file = visionDir.resolve(HfConfigReader.CONFIG);
    if (!Files.isDirectory(visionDir)) throw new InvalidInputException(visionDir + ": --vision folder not found");
    JsonNode root = HfConfigReader.readJson(file);
    String type = root.path("model_type").asText("");
    VisionStyle style = switch (type) {
      case "clip_vision_model", "clip" -> VisionStyle.CLIP;
      case "siglip_vision_model", "siglip" -> VisionStyle.SIGLIP;
      default -> throw new ConfigException(file + ": model_type: unknown tower type \"" + type
          + "\" (expected clip_vision_model, clip, siglip_vision_model or siglip)");
    };
    boolean nested = type.equals("clip") || type.equals("siglip");
    JsonNode v = nested ? root.path("vision_config") : root;
    if (!v.isObject()) throw new ConfigException(file + ": missing key 'vision_config'");
    String p = nested ? "vision_config." : "";
    // transformers' defaults for keys a published config leaves out (SigLIP-so400m gives neither eps nor act)
    double eps = v.has("layer_norm_eps") ? v.get("layer_norm_eps").asDouble() : style == VisionStyle.SIGLIP ? 1e-6 : 1e-5;
    String act = v.path("hidden_act").asText(style.hiddenAct());
    if (!act.equals(style.hiddenAct())) {
      throw new ConfigException(file + ": " + p + "hidden_act: \"" + act + "\" cannot be expressed for a " + style
          + " tower (only " + style.hiddenAct() + ")");
    }
    return new VisionConfig(integer(file, v, p + "hidden_size"), integer(file, v, p + "intermediate_size"),
        integer(file, v, p + "num_hidden_layers"), integer(file, v, p + "num_attention_heads"),
        v.has("num_channels") ? integer(file, v, p + "num_channels") : 3, integer(file, v, p + "image_size"),
        integer(file, v, p + "patch_size"), eps, act, style);
  }

  /** The built-in config of a published tower, or a one-line error saying to pass {@code --vision}. */
  static VisionConfig known(Path configFile, JsonNode root) {
    String tower = root.path("mm_image_tower").asText("");
    VisionConfig v = KNOWN.get(tower);
    if (v == null) {
      throw new InvalidInputException(configFile + ": mm_image_tower \"" + tower + "\" is not a known tower; pass "
          + "--vision DIR with its config.json (a local copy of the tower)");
    }
    JsonNode mm = root.get("mm_hidden_size");
    if (mm != null && mm.canConvertToInt() && mm.asInt() != v.hiddenSize()) {
      throw new InvalidInputException(configFile + ": mm_hidden_size " + mm.asInt() + " does not match "
          + tower + " (hidden_size " + v.hiddenSize() + "); pass --vision DIR with the tower's config.json");
    }
    return v;
  }

  /**
   * Rewrites the keys of a tower folder ({@code vision_model.*}, or transformers-5 bare {@code embeddings.*} /
   * {@code encoder.*} / layer norms / SigLIP's {@code head.*}) to the checkpoint's tower keys under {@code prefix}; anything else
   * (a CLIP model's text tower, projections) to an {@code ignored:} key.
   */
  static UnaryOperator<String> towerKeys(String prefix) {
    String tower = prefix + "image_tower.image_tower.vision_model.";
    return key -> {
      if (key.startsWith("vision_model.")) return tower + key.substring("vision_model.".length());
      if (key.startsWith("embeddings.") || key.startsWith("encoder.") || key.startsWith("pre_layrnorm.")
          || key.startsWith("post_layernorm.") || key.startsWith("head.")) {
        return tower + key;
      }
      return "ignored:" + key;
    };
  }

  private static int integer(Path file, JsonNode node, String field) {
    JsonNode v = node.get(field.substring(field.lastIndexOf('.') + 1));
    if (v == null || v.isNull()) throw new ConfigException(file + ": missing key '" + field + "'");
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new ConfigException(file + ": " + field + ": wrong type: expected an integer");
    }
    return v.asInt();
  }
}
