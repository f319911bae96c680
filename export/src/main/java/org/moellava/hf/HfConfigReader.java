package org.moellava.hf;

import org.moellava.error.JsonErrors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;

/**
 * Maps a Hugging Face {@code config.json} (model_type {@code llava}, vision {@code clip_vision_model}, text
 * {@code qwen2_moe}) to a project {@link ModelConfig}, refusing what the project cannot express.
 *
 * <p>MoE layers are the layers not in {@code mlp_only_layers} that {@code decoder_sparse_step} selects
 * ({@code (i + 1) % step == 0}), as an explicit list. {@code rope_theta} comes from
 * {@code rope_parameters.rope_theta} or {@code rope_theta}. The training section is the {@code tiny} preset's,
 * image mean/std are CLIP's (or {@code preprocessor_config.json}'s when present), and null pad/eos ids become 0.
 */
public final class HfConfigReader {
  static final String CONFIG = "config.json";
  static final String PREPROCESSOR = "preprocessor_config.json";

  private final Path file;
  private final ConfigFields fields;

  private HfConfigReader(Path file) {
    this.file = file;
    this.fields = new ConfigFields(file);
  }

  /** Reads {@code dir/config.json} (and {@code dir/preprocessor_config.json} if present). */
  public static ModelConfig read(Path dir) {
    Path file = dir.resolve(CONFIG);
    JsonNode root = readJson(file);
    HfConfigReader r = new HfConfigReader(file);
    ModelConfig config = r.map(root);
    Path pre = dir.resolve(PREPROCESSOR);
    if (Files.isRegularFile(pre)) {
      JsonNode p = readJson(pre);
      HfConfigReader pr = new HfConfigReader(pre);
      List<Double> mean = pr.triple(p, "image_mean");
      List<Double> std = pr.triple(p, "image_std");
      config = new ModelConfig(config.modelType(), config.imageTokenIndex(), config.visionFeatureLayer(),
          config.projectorHiddenAct(), config.visionConfig(), config.textConfig(), mean, std,
          config.imageAspectMode(), config.training());
    }
    return ConfigValidator.validate(config, file.toString());
  }

  static JsonNode readJson(Path file) {
    try {
      JsonNode node = new ObjectMapper().readTree(Files.readAllBytes(file));
      if (node == null || !node.isObject()) throw new InvalidInputException(file + ": not a JSON object");
      return node;
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": missing");
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read or parse JSON: " + JsonErrors.describe(e), e);
    }
  }

  private ModelConfig map(JsonNode root) {
    requireEquals(root, "model_type", "llava");
    JsonNode visionNode = fields.object(root, "vision_config");
    JsonNode textNode = fields.object(root, "text_config");
    requireEquals(visionNode, "vision_config.model_type", "clip_vision_model");
    requireEquals(textNode, "text_config.model_type", "qwen2_moe");

    String strategy = fields.optionalText(root, "vision_feature_select_strategy", "default");
    if (!strategy.equals("default")) {
      fields.unsupported("vision_feature_select_strategy", "\"" + strategy + "\" (only \"default\", which drops the class"
          + " token, is supported)");
    }
    if (!fields.optionalBool(root, "multimodal_projector_bias", true)) {
      fields.unsupported("multimodal_projector_bias", "false (the projector has biases)");
    }
    int imageToken = root.has("image_token_index") ? fields.integer(root, "image_token_index")
        : fields.integer(root, "image_token_id");
    int featureLayer = root.has("vision_feature_layer") ? fields.integer(root, "vision_feature_layer") : -2;
    String projectorAct = fields.optionalText(root, "projector_hidden_act", "gelu");

    VisionConfig vision = new VisionConfig(
        fields.integer(visionNode, "vision_config.hidden_size"),
        fields.integer(visionNode, "vision_config.intermediate_size"),
        fields.integer(visionNode, "vision_config.num_hidden_layers"),
        fields.integer(visionNode, "vision_config.num_attention_heads"),
        visionNode.has("num_channels") ? fields.integer(visionNode, "vision_config.num_channels") : 3,
        fields.integer(visionNode, "vision_config.image_size"),
        fields.integer(visionNode, "vision_config.patch_size"),
        visionNode.has("layer_norm_eps") ? fields.number(visionNode, "vision_config.layer_norm_eps") : 1e-5,
        fields.optionalText(visionNode, "vision_config.hidden_act", "quick_gelu"));

    TextConfig text = mapText(root, textNode);
    ModelConfig tiny = Presets.get(Presets.TINY);
    return new ModelConfig("llava", imageToken, featureLayer, projectorAct, vision, text, ModelConfig.CLIP_MEAN,
        ModelConfig.CLIP_STD, "crop", tiny.training());
  }

  private TextConfig mapText(JsonNode root, JsonNode t) {
    String p = "text_config.";
    int layers = fields.integer(t, p + "num_hidden_layers");
    int heads = fields.integer(t, p + "num_attention_heads");
    if (t.has("shared_expert_intermediate_size") && !t.get("shared_expert_intermediate_size").isNull()
        && fields.integer(t, p + "shared_expert_intermediate_size") > 0) {
      fields.unsupported(p + "shared_expert_intermediate_size", fields.integer(t, p + "shared_expert_intermediate_size")
          + " (shared experts are not supported; it must be 0)");
    }
    if (!fields.optionalBool(t, p + "qkv_bias", true)) {
      fields.unsupported(p + "qkv_bias", "false (q/k/v projections have biases)");
    }
    if (fields.optionalBool(t, p + "use_sliding_window", false)) {
      fields.unsupported(p + "use_sliding_window", "true (only full attention is supported)");
    }
    if (t.has("layer_types") && t.get("layer_types").isArray()) {
      for (JsonNode type : t.get("layer_types")) {
        if (!type.asText().equals("full_attention")) {
          fields.unsupported(p + "layer_types", "contains \"" + type.asText() + "\" (only full_attention is supported)");
        }
      }
    }
    if (t.has("head_dim") && !t.get("head_dim").isNull()
        && fields.integer(t, p + "head_dim") * heads != fields.integer(t, p + "hidden_size")) {
      fields.unsupported(p + "head_dim", fields.integer(t, p + "head_dim") + " (must be hidden_size / num_attention_heads)");
    }
    boolean tieText = fields.optionalBool(t, p + "tie_word_embeddings", false);
    boolean tieTop = fields.optionalBool(root, "tie_word_embeddings", tieText);
    if (tieText != tieTop) {
      fields.unsupported("tie_word_embeddings", tieTop + " disagrees with text_config.tie_word_embeddings " + tieText);
    }
    int numExperts = fields.integer(t, p + "num_experts");
    int step = t.has("decoder_sparse_step") ? fields.integer(t, p + "decoder_sparse_step") : 1;
    if (step < 1) fields.unsupported(p + "decoder_sparse_step", step + " (must be >= 1)");
    Set<Integer> mlpOnly = new HashSet<>();
    if (t.has("mlp_only_layers") && !t.get("mlp_only_layers").isNull()) {
      JsonNode list = t.get("mlp_only_layers");
      if (!list.isArray()) throw fields.wrongType(p + "mlp_only_layers", "a list of layer indices");
      for (JsonNode n : list) {
        if (!n.isInt() || n.asInt() < 0 || n.asInt() >= layers) {
          throw new ConfigException(file + ": " + p + "mlp_only_layers: " + n + " is not a layer index in [0, "
              + layers + ")");
        }
        mlpOnly.add(n.asInt());
      }
    }
    List<Integer> moe = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      if (!mlpOnly.contains(i) && numExperts > 0 && (i + 1) % step == 0) moe.add(i);
    }
    double ropeTheta;
    if (t.has("rope_parameters") && t.get("rope_parameters").isObject()) {
      JsonNode rope = t.get("rope_parameters");
      String type = fields.optionalText(rope, p + "rope_parameters.rope_type", "default");
      if (!type.equals("default")) {
        fields.unsupported(p + "rope_parameters.rope_type", "\"" + type + "\" (only default RoPE is supported)");
      }
      ropeTheta = fields.number(rope, p + "rope_parameters.rope_theta");
    } else {
      if (t.has("rope_scaling") && !t.get("rope_scaling").isNull()) {
        fields.unsupported(p + "rope_scaling", t.get("rope_scaling") + " (only default RoPE is supported)");
      }
      ropeTheta = fields.number(t, p + "rope_theta");
    }
    return new TextConfig(
        fields.integer(t, p + "vocab_size"),
        fields.integer(t, p + "hidden_size"),
        fields.integer(t, p + "intermediate_size"),
        fields.integer(t, p + "moe_intermediate_size"),
        layers,
        heads,
        t.has("num_key_value_heads") && !t.get("num_key_value_heads").isNull()
            ? fields.integer(t, p + "num_key_value_heads") : heads,
        fields.integer(t, p + "max_position_embeddings"),
        ropeTheta,
        fields.number(t, p + "rms_norm_eps"),
        fields.optionalText(t, p + "hidden_act", "silu"),
        tieText,
        numExperts,
        fields.integer(t, p + "num_experts_per_tok"),
        fields.optionalBool(t, p + "norm_topk_prob", false),
        MoeLayers.explicit(moe),
        1.5,
        2.0,
        t.has("router_aux_loss_coef") ? fields.number(t, p + "router_aux_loss_coef") : 0.01,
        false,
        tokenId(t, p + "pad_token_id"),
        tokenId(t, p + "eos_token_id"));
  }

  private List<Double> triple(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isArray() || v.size() != 3) throw fields.wrongType(field, "a list of 3 numbers");
    List<Double> out = new ArrayList<>();
    for (JsonNode n : v) {
      if (!n.isNumber()) throw fields.wrongType(field, "a list of 3 numbers");
      out.add(n.asDouble());
    }
    return out;
  }

  private void requireEquals(JsonNode node, String field, String expected) {
    String actual = fields.text(node, field);
    if (!actual.equals(expected)) {
      throw new ConfigException(file + ": " + field + ": unknown model type \"" + actual + "\" (expected \""
          + expected + "\")");
    }
  }









  /** A token id: null or absent is 0, a list (several eos ids) takes its first element. */
  private int tokenId(JsonNode node, String field) {
    JsonNode v = node.get(ConfigFields.leaf(field));
    if (v == null || v.isNull()) return 0;
    if (v.isArray()) {
      if (v.isEmpty()) return 0;
      v = v.get(0);
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw fields.wrongType(field, "an integer or null");
    return v.asInt();
  }



  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
