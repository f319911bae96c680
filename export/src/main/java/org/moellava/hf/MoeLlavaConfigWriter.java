package org.moellava.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionStyle;

/**
 * Writes a project {@link ModelConfig} of a MoE-LLaVA family as the family's {@code config.json}. An imported
 * checkpoint's original config.json is written back as it was when it still describes the model (the common case);
 * otherwise the modelled fields are set from the project config on top of it (or of a template), keeping every other
 * key, in sorted key order as MoE-LLaVA saves it.
 */
final class MoeLlavaConfigWriter {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private MoeLlavaConfigWriter() {}

  /** The config.json text for {@code config} in {@code family}, from {@code original} (or null). */
  static String write(MoeLlavaFamily family, ModelConfig config, JsonNode original) {
    if (original != null && describes(original, config)) return pretty(original);
    ObjectNode root = original != null ? original.deepCopy() : template(family);
    fill(family, config, root);
    return pretty(sorted(root));
  }

  /** Whether reading {@code original} back gives the model {@code config} describes. */
  private static boolean describes(JsonNode original, ModelConfig config) {
    try {
      ModelConfig again = MoeLlavaConfigReader.read(Path.of(HfConfigReader.CONFIG), original, config.visionConfig(),
          key -> key.equals("lm_head.bias") && config.textConfig().lmHeadBias()).config();
      return again.textConfig().equals(config.textConfig()) && again.visionConfig().equals(config.visionConfig())
          && again.visionFeatureLayer() == config.visionFeatureLayer()
          && again.imageTokenIndex() == config.imageTokenIndex();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static ObjectNode template(MoeLlavaFamily family) {
    ObjectNode root = JSON.createObjectNode();
    root.putArray("architectures").add(family.architecture());
    root.put("model_type", family.modelType());
    root.put("image_aspect_ratio", "pad");
    root.put("image_projector_type", "mlp2x_gelu");
    root.put("mm_image_tower", "openai/clip-vit-large-patch14-336");
    root.put("mm_use_im_patch_token", false);
    root.put("mm_use_im_start_end", false);
    root.putNull("mm_video_tower");
    root.put("mm_vision_select_feature", "patch");
    root.put("tokenizer_padding_side", "right");
    root.put("torch_dtype", "float32");
    root.put("transformers_version", "4.37.0");
    root.put("use_cache", true);
    root.put("use_mm_proj", true);
    ObjectNode moe = root.putObject("moe");
    moe.put("ep_size", 1).put("min_capacity", 0).put("moe_enable", true).put("moe_mode", "sparse")
        .put("use_residual", false);
    moe.putArray("train_modules");
    switch (family) {
      case STABLELM -> { }
      case PHI -> root.put("qk_layernorm", false).putNull("rope_scaling");
      case QWEN -> root.put("no_bias", true).put("scale_attn_weights", true).put("use_dynamic_ntk", false)
          .put("use_logn_attn", false).put("tokenizer_class", "QWenTokenizer");
    }
    return root;
  }

  private static void fill(MoeLlavaFamily family, ModelConfig config, ObjectNode root) {
    TextConfig t = config.textConfig();
    root.put("vocab_size", t.vocabSize());
    root.put("hidden_size", t.hiddenSize());
    root.put("num_hidden_layers", t.numHiddenLayers());
    root.put("num_attention_heads", t.numAttentionHeads());
    root.put("max_position_embeddings", t.maxPositionEmbeddings());
    root.put("tie_word_embeddings", t.tieWordEmbeddings());
    root.put("eos_token_id", t.eosTokenId());
    root.put("pad_token_id", t.padTokenId());
    root.put("mm_hidden_size", config.visionConfig().hiddenSize());
    VisionStyle style = config.visionConfig().visionStyle();
    boolean namesSiglip = root.path("mm_image_tower").asText("").contains("siglip");
    if (namesSiglip != (style == VisionStyle.SIGLIP)) {
      root.put("mm_image_tower", MoeLlavaVision.defaultTowerId(style)); // MoE-LLaVA's builder picks the tower class by name
    }
    root.put("mm_vision_select_layer", config.visionFeatureLayer());
    switch (family) {
      case STABLELM -> {
        root.put("intermediate_size", t.intermediateSize());
        root.put("num_key_value_heads", t.numKeyValueHeads());
        root.put("hidden_act", t.hiddenAct());
        root.put("norm_eps", t.rmsNormEps());
        root.put("rope_pct", t.partialRotaryFactor());
        root.put("rope_theta", t.ropeTheta());
        root.put("use_qkv_bias", t.qkvBias());
      }
      case PHI -> {
        root.put("intermediate_size", t.intermediateSize());
        root.put("num_key_value_heads", t.numKeyValueHeads());
        root.put("hidden_act", t.hiddenAct());
        root.put("layer_norm_eps", t.rmsNormEps());
        root.put("partial_rotary_factor", t.partialRotaryFactor());
        root.put("rope_theta", t.ropeTheta());
      }
      case QWEN -> {
        root.put("intermediate_size", 2 * t.intermediateSize());
        root.put("kv_channels", t.headDim());
        root.put("layer_norm_epsilon", t.rmsNormEps());
        root.put("rotary_pct", t.partialRotaryFactor());
        root.put("rotary_emb_base", t.ropeTheta());
        root.put("seq_length", t.maxPositionEmbeddings());
      }
    }
    ObjectNode moe = root.has("moe") && root.get("moe").isObject() ? (ObjectNode) root.get("moe")
        : root.putObject("moe");
    List<Integer> layers = t.moeLayerIndices();
    ArrayNode idx = moe.putArray("moe_layers_idx");
    layers.forEach(idx::add);
    ArrayNode counts = moe.putArray("num_experts");
    layers.forEach(l -> counts.add(t.numExperts()));
    moe.put("top_k_experts", t.numExpertsPerTok());
    moe.put("capacity_factor", t.capacityFactor());
    moe.put("eval_capacity_factor", t.evalCapacityFactor());
    moe.put("router_aux_loss_coef", t.routerAuxLossCoef());
    moe.put("min_capacity", t.minCapacity());
  }

  /** The tree with object keys sorted at every level (MoE-LLaVA's {@code to_json_string} order). */
  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      List<String> keys = new ArrayList<>();
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) keys.add(it.next());
      keys.sort(null);
      ObjectNode out = JSON.createObjectNode();
      for (String k : keys) out.set(k, sorted(node.get(k)));
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JSON.createArrayNode();
      node.forEach(n -> out.add(sorted(n)));
      return out;
    }
    return node;
  }

  private static String pretty(JsonNode node) {
    try {
      return JSON.writeValueAsString(node) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise config.json", e);
    }
  }

  static Map<String, String> defaultMetadata() {
    return Map.of("format", "pt");
  }
}
