package org.moellava.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.moellava.config.ConfigValidator;
import org.moellava.config.DecoderArchitecture;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.error.ConfigException;

/**
 * Maps a published MoE-LLaVA {@code config.json} ({@code model_type} {@code moe_llava_{stablelm,phi,qwen}}, the
 * family's own fields, the {@code moe} dict and the {@code mm_*} keys) and the vision tower's config to a project
 * {@link ModelConfig}, refusing what the project cannot express with the field named.
 *
 * <ul>
 *   <li>MoE layers: {@code moe.moe_layers_idx}, or when null what {@code moe.moe_mode} selects (sparse = every other
 *       layer from 0, first_half, second_half, dense = all). {@code moe.num_experts} must give every MoE layer the
 *       same E; {@code top_k_experts} 1 or 2 (DeepSpeed's top-1 weights a token by its gate probability, top-2
 *       renormalises the two: {@code norm_topk_prob} false / true); {@code use_residual} (a residual MoE with a
 *       dense MLP beside the experts) is refused.</li>
 *   <li>Qwen-1: the MLP width is {@code intermediate_size / 2}; with {@code use_dynamic_ntk} or {@code use_logn_attn}
 *       the context limit is {@code seq_length}, beyond which Qwen-1 changes RoPE and scales queries.</li>
 *   <li>The image placeholder: MoE-LLaVA's {@code -200} is not a vocabulary id; the project's expanded sequences use
 *       the last vocabulary row, {@code vocab_size - 1}, which the published tokenizers never produce.</li>
 *   <li>Token ids outside the vocabulary (a tiny test model with the real special ids) become 0, with a note.</li>
 * </ul>
 */
final class MoeLlavaConfigReader {
  private final Path file;
  private final List<String> notes = new ArrayList<>();

  private MoeLlavaConfigReader(Path file) {
    this.file = file;
  }

  /** The result: the config, and notes for the user about values that were adapted. */
  record Result(MoeLlavaFamily family, ModelConfig config, List<String> notes) {}

  /** The family {@code config.json} names, or a one-line error naming the file and field. */
  static MoeLlavaFamily family(Path file, JsonNode root) {
    JsonNode type = root.get("model_type");
    if (type == null || !type.isTextual()) throw new ConfigException(file + ": missing key 'model_type'");
    MoeLlavaFamily f = MoeLlavaFamily.ofModelType(type.asText());
    if (f == null) {
      throw new ConfigException(file + ": model_type: unknown model type \"" + type.asText() + "\" (expected "
          + "moe_llava_stablelm, moe_llava_phi or moe_llava_qwen)");
    }
    return f;
  }

  /**
   * Maps {@code root} (read from {@code file}) with the tower {@code vision}.
   *
   * @param hasWeight whether the checkpoint holds a tensor (for what only the weights tell, such as Phi's lm_head bias)
   */
  static Result read(Path file, JsonNode root, VisionConfig vision, Predicate<String> hasWeight) {
    MoeLlavaConfigReader r = new MoeLlavaConfigReader(file);
    MoeLlavaFamily family = family(file, root);
    ModelConfig config = r.map(family, root, vision, hasWeight);
    return new Result(family, ConfigValidator.validate(config, file.toString()), List.copyOf(r.notes));
  }

  private ModelConfig map(MoeLlavaFamily family, JsonNode root, VisionConfig vision, Predicate<String> hasWeight) {
    String feature = optionalText(root, "mm_vision_select_feature", "patch");
    if (!feature.equals("patch")) {
      unsupported("mm_vision_select_feature", "\"" + feature + "\" (only \"patch\", which drops the class token)");
    }
    String projector = optionalText(root, "image_projector_type", "linear");
    if (!projector.equals("mlp2x_gelu")) {
      unsupported("image_projector_type", "\"" + projector + "\" (only mlp2x_gelu: linear, exact GELU, linear)");
    }
    String aspect = optionalText(root, "image_aspect_ratio", "pad");
    if (!aspect.equals("pad")) unsupported("image_aspect_ratio", "\"" + aspect + "\" (only pad)");
    if (optionalBool(root, "mm_use_im_start_end", false)) unsupported("mm_use_im_start_end", "true");
    if (optionalBool(root, "mm_use_im_patch_token", false)) unsupported("mm_use_im_patch_token", "true");
    if (root.hasNonNull("mm_video_tower")) unsupported("mm_video_tower", root.get("mm_video_tower") + " (images only)");
    if (root.hasNonNull("mm_hidden_size") && integer(root, "mm_hidden_size") != vision.hiddenSize()) {
      unsupported("mm_hidden_size", integer(root, "mm_hidden_size") + ": the vision tower's hidden_size is "
          + vision.hiddenSize());
    }
    int featureLayer = root.has("mm_vision_select_layer") ? integer(root, "mm_vision_select_layer") : -2;
    TextConfig text = switch (family) {
      case STABLELM -> stablelm(root);
      case PHI -> phi(root, hasWeight);
      case QWEN -> qwen(root);
    };
    ModelConfig tiny = Presets.get(Presets.TINY);
    int imageToken = text.vocabSize() - 1;
    notes.add("the image placeholder (MoE-LLaVA's -200) is id " + imageToken + " (vocab_size - 1) in expanded sequences");
    return new ModelConfig("llava", imageToken, featureLayer, "gelu", vision, text, ModelConfig.CLIP_MEAN,
        ModelConfig.CLIP_STD, "pad", tiny.training(), ModelConfig.DEFAULT_SYSTEM_PROMPT);
  }

  /** The {@code moe} dict: MoE layers, E, k, capacity factors, aux loss coefficient. */
  private record Moe(MoeLayers layers, int experts, int topK, double capacityFactor, double evalCapacityFactor,
      double auxCoef) {}

  private Moe moe(JsonNode root, int numLayers) {
    JsonNode moe = object(root, "moe");
    if (optionalBool(moe, "moe.use_residual", false)) {
      unsupported("moe.use_residual", "true (a residual MoE keeps a dense MLP beside the experts)");
    }
    List<Integer> layers = new ArrayList<>();
    JsonNode idx = moe.get("moe_layers_idx");
    if (idx != null && !idx.isNull()) {
      if (!idx.isArray()) throw wrongType("moe.moe_layers_idx", "a list of layer indices");
      Set<Integer> seen = new LinkedHashSet<>();
      for (JsonNode n : idx) {
        if (!n.isInt() || n.asInt() < 0 || n.asInt() >= numLayers || !seen.add(n.asInt())) {
          throw new ConfigException(file + ": moe.moe_layers_idx: " + n + " is not a distinct layer index in [0, "
              + numLayers + ")");
        }
        layers.add(n.asInt());
      }
    } else {
      String mode = optionalText(moe, "moe.moe_mode", "sparse");
      switch (mode) {
        case "sparse" -> { for (int i = 0; i < numLayers; i += 2) layers.add(i); }
        case "first_half" -> { for (int i = 0; i < numLayers / 2; i++) layers.add(i); }
        case "second_half" -> { for (int i = numLayers / 2; i < numLayers; i++) layers.add(i); }
        case "dense" -> { for (int i = 0; i < numLayers; i++) layers.add(i); }
        default -> unsupported("moe.moe_mode", "\"" + mode + "\" (sparse, first_half, second_half or dense)");
      }
    }
    JsonNode counts = moe.get("num_experts");
    int experts = 4;
    if (counts == null || counts.isNull()) {
      if (!layers.isEmpty()) throw new ConfigException(file + ": missing key 'moe.num_experts'");
    } else if (counts.isInt()) {
      experts = counts.asInt();
    } else if (counts.isArray()) {
      if (counts.size() != layers.size()) {
        throw new ConfigException(file + ": moe.num_experts: " + counts.size() + " counts for " + layers.size()
            + " MoE layers");
      }
      for (int i = 0; i < counts.size(); i++) {
        if (!counts.get(i).isInt() || counts.get(i).asInt() < 1) throw wrongType("moe.num_experts", "positive integers");
        if (i == 0) experts = counts.get(0).asInt();
        if (counts.get(i).asInt() != experts) {
          unsupported("moe.num_experts", counts + " (every MoE layer must have the same number of experts)");
        }
      }
    } else {
      throw wrongType("moe.num_experts", "a list of integers");
    }
    int k = moe.has("top_k_experts") ? integer(moe, "moe.top_k_experts") : 2;
    if (k != 1 && k != 2) unsupported("moe.top_k_experts", k + " (DeepSpeed gating is top-1 or top-2)");
    if (k > experts) unsupported("moe.top_k_experts", k + " exceeds num_experts " + experts);
    double cf = moe.has("capacity_factor") ? number(moe, "moe.capacity_factor") : 1.0;
    double evalCf = moe.has("eval_capacity_factor") ? number(moe, "moe.eval_capacity_factor") : 1.0;
    double aux = moe.has("router_aux_loss_coef") ? number(moe, "moe.router_aux_loss_coef") : 0.01;
    if (moe.has("min_capacity") && integer(moe, "moe.min_capacity") > 0) {
      notes.add("moe.min_capacity " + integer(moe, "moe.min_capacity") + " is not modelled: inference routes every "
          + "token (no capacity), training applies ceil(T/E*cf*k) without a floor");
    }
    return new Moe(MoeLayers.explicit(layers), experts, k, cf, evalCf, aux);
  }

  private TextConfig text(JsonNode root, int vocab, int hidden, int inter, int layers, int heads, int kvHeads,
      int maxPos, double theta, double eps, String act, boolean tie, DecoderArchitecture arch) {
    Moe m = moe(root, layers);
    int pad = tokenId(root, "pad_token_id", vocab);
    int eos = tokenId(root, "eos_token_id", vocab);
    return new TextConfig(vocab, hidden, inter, inter, layers, heads, kvHeads, maxPos, theta, eps, act, tie,
        m.experts(), m.topK(), m.topK() == 2, m.layers(), m.capacityFactor(), m.evalCapacityFactor(), m.auxCoef(),
        false, pad, eos, arch);
  }

  private TextConfig stablelm(JsonNode root) {
    if (optionalBool(root, "use_parallel_residual", false)) unsupported("use_parallel_residual", "true");
    if (optionalBool(root, "qk_layernorm", false)) unsupported("qk_layernorm", "true");
    String act = optionalText(root, "hidden_act", "silu");
    if (!act.equals("silu")) unsupported("hidden_act", "\"" + act + "\" (StableLM's MLP is SwiGLU with silu)");
    int heads = integer(root, "num_attention_heads");
    DecoderArchitecture arch = org.moellava.config.DecoderStyle.STABLELM.defaults()
        .withQkvBias(optionalBool(root, "use_qkv_bias", false))
        .withPartialRotaryFactor(root.has("rope_pct") ? number(root, "rope_pct") : 0.25);
    return text(root, integer(root, "vocab_size"), integer(root, "hidden_size"), integer(root, "intermediate_size"),
        integer(root, "num_hidden_layers"), heads, optionalInt(root, "num_key_value_heads", heads),
        integer(root, "max_position_embeddings"), root.has("rope_theta") ? number(root, "rope_theta") : 10000.0,
        root.has("norm_eps") ? number(root, "norm_eps") : 1e-5, act, optionalBool(root, "tie_word_embeddings", false),
        arch);
  }

  private TextConfig phi(JsonNode root, Predicate<String> hasWeight) {
    if (optionalBool(root, "qk_layernorm", false)) unsupported("qk_layernorm", "true");
    if (root.hasNonNull("rope_scaling")) unsupported("rope_scaling", root.get("rope_scaling") + " (default RoPE only)");
    String act = optionalText(root, "hidden_act", "gelu_new");
    if (!act.equals("gelu_new") && !act.equals("gelu")) {
      unsupported("hidden_act", "\"" + act + "\" (Phi's MLP: gelu_new or gelu)");
    }
    int heads = integer(root, "num_attention_heads");
    DecoderArchitecture arch = org.moellava.config.DecoderStyle.PHI.defaults()
        .withPartialRotaryFactor(root.has("partial_rotary_factor") ? number(root, "partial_rotary_factor") : 0.5)
        .withLmHeadBias(hasWeight.test("lm_head.bias"));
    return text(root, integer(root, "vocab_size"), integer(root, "hidden_size"), integer(root, "intermediate_size"),
        integer(root, "num_hidden_layers"), heads, optionalInt(root, "num_key_value_heads", heads),
        integer(root, "max_position_embeddings"), root.has("rope_theta") ? number(root, "rope_theta") : 10000.0,
        root.has("layer_norm_eps") ? number(root, "layer_norm_eps") : 1e-5, act,
        optionalBool(root, "tie_word_embeddings", false), arch);
  }

  private TextConfig qwen(JsonNode root) {
    int hidden = integer(root, "hidden_size");
    int heads = integer(root, "num_attention_heads");
    if (root.has("kv_channels") && integer(root, "kv_channels") * heads != hidden) {
      unsupported("kv_channels", integer(root, "kv_channels") + " (must be hidden_size / num_attention_heads)");
    }
    if (!optionalBool(root, "no_bias", true)) unsupported("no_bias", "false (c_proj and the MLP have no biases)");
    if (!optionalBool(root, "scale_attn_weights", true)) unsupported("scale_attn_weights", "false");
    if (optionalBool(root, "use_cache_quantization", false)) {
      unsupported("use_cache_quantization", "true (an int8 KV cache)");
    }
    int intermediate = integer(root, "intermediate_size");
    if (intermediate % 2 != 0) unsupported("intermediate_size", intermediate + " (odd: the MLP width is half of it)");
    int maxPos = integer(root, "max_position_embeddings");
    if (optionalBool(root, "use_dynamic_ntk", false) || optionalBool(root, "use_logn_attn", false)) {
      int seq = integer(root, "seq_length");
      if (seq < maxPos) {
        notes.add("context limited to seq_length " + seq + ": past it Qwen-1's use_dynamic_ntk/use_logn_attn change "
            + "RoPE and scale the queries, which the project does not model");
        maxPos = seq;
      }
    }
    DecoderArchitecture arch = org.moellava.config.DecoderStyle.QWEN.defaults()
        .withPartialRotaryFactor(root.has("rotary_pct") ? number(root, "rotary_pct") : 1.0);
    return text(root, integer(root, "vocab_size"), hidden, intermediate / 2, integer(root, "num_hidden_layers"),
        heads, heads, maxPos, root.has("rotary_emb_base") ? number(root, "rotary_emb_base") : 10000.0,
        root.has("layer_norm_epsilon") ? number(root, "layer_norm_epsilon") : 1e-6, "silu",
        optionalBool(root, "tie_word_embeddings", false), arch);
  }

  /** A token id: absent, null or outside the vocabulary is 0 (with a note); a list takes its first element. */
  private int tokenId(JsonNode node, String field, int vocab) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) return 0;
    if (v.isArray()) {
      if (v.isEmpty()) return 0;
      v = v.get(0);
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(field, "an integer or null");
    if (v.asInt() < 0 || v.asInt() >= vocab) {
      notes.add(field + " " + v.asInt() + " is outside vocab_size " + vocab + "; the checkpoint uses 0 (the original "
          + "config.json is kept for export)");
      return 0;
    }
    return v.asInt();
  }

  private void unsupported(String field, String what) {
    throw new ConfigException(file + ": " + field + ": the project cannot express " + what);
  }

  private JsonNode value(JsonNode node, String field) {
    JsonNode v = node.get(leaf(field));
    if (v == null || v.isNull()) throw new ConfigException(file + ": missing key '" + field + "'");
    return v;
  }

  private JsonNode object(JsonNode node, String field) {
    JsonNode v = value(node, field);
    if (!v.isObject()) throw wrongType(field, "an object");
    return v;
  }

  private int integer(JsonNode node, String field) {
    JsonNode v = value(node, field);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(field, "an integer");
    return v.asInt();
  }

  private int optionalInt(JsonNode node, String field, int fallback) {
    JsonNode v = node.get(leaf(field));
    return v == null || v.isNull() ? fallback : integer(node, field);
  }

  private double number(JsonNode node, String field) {
    JsonNode v = value(node, field);
    if (!v.isNumber()) throw wrongType(field, "a number");
    return v.asDouble();
  }

  private String optionalText(JsonNode node, String field, String fallback) {
    JsonNode v = node.get(leaf(field));
    if (v == null || v.isNull()) return fallback;
    if (!v.isTextual()) throw wrongType(field, "a string");
    return v.asText();
  }

  private boolean optionalBool(JsonNode node, String field, boolean fallback) {
    JsonNode v = node.get(leaf(field));
    if (v == null || v.isNull()) return fallback;
    if (!v.isBoolean()) throw wrongType(field, "true or false");
    return v.asBoolean();
  }

  private ConfigException wrongType(String field, String expected) {
    return new ConfigException(file + ": " + field + ": wrong type: expected " + expected);
  }

  private static String leaf(String field) {
    return field.substring(field.lastIndexOf('.') + 1);
  }
}
