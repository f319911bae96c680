package org.moellava.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;

/**
 * Writes a project {@link ModelConfig} as the Hugging Face {@code config.json} of a
 * {@code LlavaForConditionalGeneration} with a CLIP vision tower and a Qwen2-MoE text model, in the structure
 * {@code transformers} saves (the reference fixtures). Fields the project does not model take the values
 * {@code transformers} writes for such a model.
 */
public final class HfConfigWriter {
  /** The {@code transformers} version the written structure mirrors. */
  public static final String TRANSFORMERS_VERSION = "5.18.0";
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private HfConfigWriter() {}

  /** The {@code config.json} tree. */
  public static ObjectNode toJson(ModelConfig config) {
    VisionConfig v = config.visionConfig();
    TextConfig t = config.textConfig();
    ObjectNode root = JSON.createObjectNode();
    root.putArray("architectures").add("LlavaForConditionalGeneration");
    root.put("dtype", "float32");
    root.put("image_seq_length", v.numPatches());
    root.put("image_token_index", config.imageTokenIndex());
    root.put("model_type", "llava");
    root.put("multimodal_projector_bias", true);
    root.put("projector_hidden_act", config.projectorHiddenAct());

    ObjectNode text = root.putObject("text_config");
    text.put("attention_dropout", 0.0);
    text.putNull("bos_token_id");
    text.put("decoder_sparse_step", 1);
    text.put("eos_token_id", t.eosTokenId());
    text.put("hidden_act", t.hiddenAct());
    text.put("hidden_size", t.hiddenSize());
    text.put("initializer_range", 0.02);
    text.put("intermediate_size", t.intermediateSize());
    ArrayNode types = text.putArray("layer_types");
    for (int i = 0; i < t.numHiddenLayers(); i++) types.add("full_attention");
    text.put("max_position_embeddings", t.maxPositionEmbeddings());
    text.put("max_window_layers", 28);
    ArrayNode mlpOnly = text.putArray("mlp_only_layers");
    List<Integer> moe = t.moeLayerIndices();
    for (int i = 0; i < t.numHiddenLayers(); i++) if (!moe.contains(i)) mlpOnly.add(i);
    text.put("model_type", "qwen2_moe");
    text.put("moe_intermediate_size", t.moeIntermediateSize());
    text.put("norm_topk_prob", t.normTopkProb());
    text.put("num_attention_heads", t.numAttentionHeads());
    text.put("num_experts", t.numExperts());
    text.put("num_experts_per_tok", t.numExpertsPerTok());
    text.put("num_hidden_layers", t.numHiddenLayers());
    text.put("num_key_value_heads", t.numKeyValueHeads());
    text.put("output_router_logits", false);
    text.put("pad_token_id", t.padTokenId());
    text.put("qkv_bias", true);
    text.put("rms_norm_eps", t.rmsNormEps());
    ObjectNode rope = text.putObject("rope_parameters");
    rope.put("rope_theta", t.ropeTheta());
    rope.put("rope_type", "default");
    text.put("router_aux_loss_coef", t.routerAuxLossCoef());
    text.put("shared_expert_intermediate_size", 0);
    text.put("sliding_window", 0);
    text.put("tie_word_embeddings", t.tieWordEmbeddings());
    text.put("use_cache", true);
    text.put("use_sliding_window", false);
    text.put("vocab_size", t.vocabSize());

    root.put("tie_word_embeddings", t.tieWordEmbeddings());
    root.put("transformers_version", TRANSFORMERS_VERSION);

    ObjectNode vision = root.putObject("vision_config");
    vision.put("attention_dropout", 0.0);
    vision.put("hidden_act", v.hiddenAct());
    vision.put("hidden_size", v.hiddenSize());
    vision.put("image_size", v.imageSize());
    vision.put("initializer_factor", 1.0);
    vision.put("initializer_range", 0.02);
    vision.put("intermediate_size", v.intermediateSize());
    vision.put("layer_norm_eps", v.layerNormEps());
    vision.put("model_type", "clip_vision_model");
    vision.put("num_attention_heads", v.numAttentionHeads());
    vision.put("num_channels", v.numChannels());
    vision.put("num_hidden_layers", v.numHiddenLayers());
    vision.put("patch_size", v.patchSize());
    vision.put("projection_dim", v.hiddenSize());

    root.put("vision_feature_layer", config.visionFeatureLayer());
    root.put("vision_feature_select_strategy", "default");
    return root;
  }

  /** The {@code generation_config.json} tree {@code save_pretrained} writes alongside. */
  public static ObjectNode generationConfig() {
    ObjectNode root = JSON.createObjectNode();
    root.put("_from_model_config", true);
    root.put("output_attentions", false);
    root.put("output_hidden_states", false);
    root.put("transformers_version", TRANSFORMERS_VERSION);
    root.put("use_cache", true);
    return root;
  }

  static String pretty(ObjectNode node) {
    try {
      return JSON.writeValueAsString(node) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise JSON", e);
    }
  }
}
