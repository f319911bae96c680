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
  private final ConfigFields fields;
  private final List<String> notes = new ArrayList<>();

  private MoeLlavaConfigReader(Path file) {
    this.file = file;
    this.fields = new ConfigFields(file);
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
    String feature = fields.optionalText(root, "mm_vision_select_feature", "patch");
    if (!feature.equals("patch")) {
      fields.unsupported("mm_vision_select_feature", "\"" + feature + "\" (only \"patch\", which drops the first position:"
          + " CLIP's class token, SigLIP's first patch)");
    }
    String projector = fields.optionalText(root, "image_projector_type", "linear");
    if (!projector.equals("mlp2x_gelu")) {
      fields.unsupported("image_projector_type", "\"" + projector + "\" (only mlp2x_gelu: linear, exact GELU, linear)");
    }
    String aspect = fields.optionalText(root, "image_aspect_ratio", "pad");
    if (!aspect.equals("pad")) fields.unsupported("image_aspect_ratio", "\"" + aspect + "\" (only pad)");
    if (fields.optionalBool(root, "mm_use_im_start_end", false)) fields.unsupported("mm_use_im_start_end", "true");
    if (fields.optionalBool(root, "mm_use_im_patch_token", false)) fields.unsupported("mm_use_im_patch_token", "true");
    if (root.hasNonNull("mm_video_tower")) fields.unsupported("mm_video_tower", root.get("mm_video_tower") + " (images only)");
    if (root.hasNonNull("mm_hidden_size") && fields.integer(root, "mm_hidden_size") != vision.hiddenSize()) {
      fields.unsupported("mm_hidden_size", fields.integer(root, "mm_hidden_size") + ": the vision tower's hidden_size is "
          + vision.hiddenSize());
    }
    int featureLayer = root.has("mm_vision_select_layer") ? fields.integer(root, "mm_vision_select_layer") : -2;
    TextConfig text = switch (family) {
      case STABLELM -> stablelm(root);
      case PHI -> phi(root, hasWeight);
      case QWEN -> qwen(root);
    };
    ModelConfig tiny = Presets.get(Presets.TINY);
    int imageToken = text.vocabSize() - 1;
    notes.add("the image placeholder (MoE-LLaVA's -200) is id " + imageToken + " (vocab_size - 1) in expanded sequences");
    return new ModelConfig("llava", imageToken, featureLayer, "gelu", vision, text,
        vision.visionStyle().imageMean(), vision.visionStyle().imageStd(), "pad", tiny.training(),
        ModelConfig.DEFAULT_SYSTEM_PROMPT);
  }

  /** The {@code moe} dict: MoE layers, E, k, capacity factors, aux loss coefficient, capacity floor. */
  private record Moe(MoeLayers layers, int experts, int topK, double capacityFactor, double evalCapacityFactor,
      double auxCoef, int minCapacity) {}

  private Moe moe(JsonNode root, int numLayers) {
    JsonNode moe = fields.object(root, "moe");
    if (fields.optionalBool(moe, "moe.use_residual", false)) {
      fields.unsupported("moe.use_residual", "true (a residual MoE keeps a dense MLP beside the experts)");
    }
    List<Integer> layers = new ArrayList<>();
    JsonNode idx = moe.get("moe_layers_idx");
    if (idx != null && !idx.isNull()) {
      if (!idx.isArray()) throw fields.wrongType("moe.moe_layers_idx", "a list of layer indices");
      Set<Integer> seen = new LinkedHashSet<>();
      for (JsonNode n : idx) {
        if (!n.isInt() || n.asInt() < 0 || n.asInt() >= numLayers || !seen.add(n.asInt())) {
          throw new ConfigException(file + ": moe.moe_layers_idx: " + n + " is not a distinct layer index in [0, "
              + numLayers + ")");
        }
        layers.add(n.asInt());
      }
    } else {
      String mode = fields.optionalText(moe, "moe.moe_mode", "sparse");
      switch (mode) {
        case "sparse" -> { for (int i = 0; i < numLayers; i += 2) layers.add(i); }
        case "first_half" -> { for (int i = 0; i < numLayers / 2; i++) layers.add(i); }
        case "second_half" -> { for (int i = numLayers / 2; i < numLayers; i++) layers.add(i); }
        case "dense" -> { for (int i = 0; i < numLayers; i++) layers.add(i); }
        default -> fields.unsupported("moe.moe_mode", "\"" + mode + "\" (sparse, first_half, second_half or dense)");
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
        if (!counts.get(i).isInt() || counts.get(i).asInt() < 1) throw fields.wrongType("moe.num_experts", "positive integers");
        if (i == 0) experts = counts.get(0).asInt();
        if (counts.get(i).asInt() != experts) {
          fields.unsupported("moe.num_experts", counts + " (every MoE layer must have the same number of experts)");
        }
      }
    } else {
      throw fields.wrongType("moe.num_experts", "a list of integers");
    }
    int k = moe.has("top_k_experts") ? fields.integer(moe, "moe.top_k_experts") : 2;
    if (k != 1 && k != 2) fields.unsupported("moe.top_k_experts", k + " (DeepSpeed gating is top-1 or top-2)");
    if (k > experts) fields.unsupported("moe.top_k_experts", k + " exceeds num_experts " + experts);
    double cf = moe.has("capacity_factor") ? fields.number(moe, "moe.capacity_factor") : 1.0;
    double evalCf = moe.has("eval_capacity_factor") ? fields.number(moe, "moe.eval_capacity_factor") : 1.0;
    double aux = moe.has("router_aux_loss_coef") ? fields.number(moe, "moe.router_aux_loss_coef") : 0.01;
    int minCapacity = moe.hasNonNull("min_capacity") ? fields.integer(moe, "moe.min_capacity") : 0;
    if (minCapacity < 0) throw new ConfigException(file + ": moe.min_capacity: must be >= 0, got " + minCapacity);
    return new Moe(MoeLayers.explicit(layers), experts, k, cf, evalCf, aux, minCapacity);
  }

  private TextConfig text(JsonNode root, int vocab, int hidden, int inter, int layers, int heads, int kvHeads,
      int maxPos, double theta, double eps, String act, boolean tie, DecoderArchitecture arch) {
    Moe m = moe(root, layers);
    int pad = tokenId(root, "pad_token_id", vocab);
    int eos = tokenId(root, "eos_token_id", vocab);
    return new TextConfig(vocab, hidden, inter, inter, layers, heads, kvHeads, maxPos, theta, eps, act, tie,
        m.experts(), m.topK(), m.topK() == 2, m.layers(), m.capacityFactor(), m.evalCapacityFactor(), m.auxCoef(),
        false, pad, eos, arch).withMinCapacity(m.minCapacity());
  }

  private TextConfig stablelm(JsonNode root) {
    if (fields.optionalBool(root, "use_parallel_residual", false)) fields.unsupported("use_parallel_residual", "true");
    if (fields.optionalBool(root, "qk_layernorm", false)) fields.unsupported("qk_layernorm", "true");
    String act = fields.optionalText(root, "hidden_act", "silu");
    if (!act.equals("silu")) fields.unsupported("hidden_act", "\"" + act + "\" (StableLM's MLP is SwiGLU with silu)");
    int heads = fields.integer(root, "num_attention_heads");
    DecoderArchitecture arch = org.moellava.config.DecoderStyle.STABLELM.defaults()
        .withQkvBias(fields.optionalBool(root, "use_qkv_bias", false))
        .withPartialRotaryFactor(root.has("rope_pct") ? fields.number(root, "rope_pct") : 0.25);
    return text(root, fields.integer(root, "vocab_size"), fields.integer(root, "hidden_size"), fields.integer(root, "intermediate_size"),
        fields.integer(root, "num_hidden_layers"), heads, fields.optionalInt(root, "num_key_value_heads", heads),
        fields.integer(root, "max_position_embeddings"), root.has("rope_theta") ? fields.number(root, "rope_theta") : 10000.0,
        root.has("norm_eps") ? fields.number(root, "norm_eps") : 1e-5, act, fields.optionalBool(root, "tie_word_embeddings", false),
        arch);
  }

  private TextConfig phi(JsonNode root, Predicate<String> hasWeight) {
    if (fields.optionalBool(root, "qk_layernorm", false)) fields.unsupported("qk_layernorm", "true");
    if (root.hasNonNull("rope_scaling")) fields.unsupported("rope_scaling", root.get("rope_scaling") + " (default RoPE only)");
    String act = fields.optionalText(root, "hidden_act", "gelu_new");
    if (!act.equals("gelu_new") && !act.equals("gelu")) {
      fields.unsupported("hidden_act", "\"" + act + "\" (Phi's MLP: gelu_new or gelu)");
    }
    int heads = fields.integer(root, "num_attention_heads");
    DecoderArchitecture arch = org.moellava.config.DecoderStyle.PHI.defaults()
        .withPartialRotaryFactor(root.has("partial_rotary_factor") ? fields.number(root, "partial_rotary_factor") : 0.5)
        .withLmHeadBias(hasWeight.test("lm_head.bias"));
    return text(root, fields.integer(root, "vocab_size"), fields.integer(root, "hidden_size"), fields.integer(root, "intermediate_size"),
        fields.integer(root, "num_hidden_layers"), heads, fields.optionalInt(root, "num_key_value_heads", heads),
        fields.integer(root, "max_position_embeddings"), root.has("rope_theta") ? fields.number(root, "rope_theta") : 10000.0,
        root.has("layer_norm_eps") ? fields.number(root, "layer_norm_eps") : 1e-5, act,
        fields.optionalBool(root, "tie_word_embeddings", false), arch);
  }

  private TextConfig qwen(JsonNode root) {
    int hidden = fields.integer(root, "hidden_size");
    int heads = fields.integer(root, "num_attention_heads");
    if (root.has("kv_channels") && fields.integer(root, "kv_channels") * heads != hidden) {
      fields.unsupported("kv_channels", fields.integer(root, "kv_channels") + " (must be hidden_size / num_attention_heads)");
    }
    if (!fields.optionalBool(root, "no_bias", true)) fields.unsupported("no_bias", "false (c_proj and the MLP have no biases)");
    if (!fields.optionalBool(root, "scale_attn_weights", true)) fields.unsupported("scale_attn_weights", "false");
    if (fields.optionalBool(root, "use_cache_quantization", false)) {
      fields.unsupported("use_cache_quantization", "true (an int8 KV cache)");
    }
    int intermediate = fields.integer(root, "intermediate_size");
    if (intermediate % 2 != 0) fields.unsupported("intermediate_size", intermediate + " (odd: the MLP width is half of it)");
    int maxPos = fields.integer(root, "max_position_embeddings");
    if (fields.optionalBool(root, "use_dynamic_ntk", false) || fields.optionalBool(root, "use_logn_attn", false)) {
      int seq = fields.integer(root, "seq_length");
      if (seq < maxPos) {
        notes.add("context limited to seq_length " + seq + ": past it Qwen-1's use_dynamic_ntk/use_logn_attn change "
            + "RoPE and scale the queries, which the project does not model");
        maxPos = seq;
      }
    }
    DecoderArchitecture arch = org.moellava.config.DecoderStyle.QWEN.defaults()
        .withPartialRotaryFactor(root.has("rotary_pct") ? fields.number(root, "rotary_pct") : 1.0);
    return text(root, fields.integer(root, "vocab_size"), hidden, intermediate / 2, fields.integer(root, "num_hidden_layers"),
        heads, heads, maxPos, root.has("rotary_emb_base") ? fields.number(root, "rotary_emb_base") : 10000.0,
        root.has("layer_norm_epsilon") ? fields.number(root, "layer_norm_epsilon") : 1e-6, "silu",
        fields.optionalBool(root, "tie_word_embeddings", false), arch);
  }

  /** A token id: absent, null or outside the vocabulary is 0 (with a note); a list takes its first element. */
  private int tokenId(JsonNode node, String field, int vocab) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) return 0;
    if (v.isArray()) {
      if (v.isEmpty()) return 0;
      v = v.get(0);
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw fields.wrongType(field, "an integer or null");
    if (v.asInt() < 0 || v.asInt() >= vocab) {
      notes.add(field + " " + v.asInt() + " is outside vocab_size " + vocab + "; the checkpoint uses 0 (the original "
          + "config.json is kept for export)");
      return 0;
    }
    return v.asInt();
  }










}
