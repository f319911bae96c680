package org.moellava.config;

import java.util.List;
import java.util.Map;
import org.moellava.error.ConfigException;

/** Checks a {@link ModelConfig} for consistency; the first problem found is thrown as a one-line error. */
public final class ConfigValidator {
  private ConfigValidator() {}

  /**
   * Validates {@code config}.
   *
   * @param source where the config came from, used as the message prefix (a file name or preset name)
   * @throws ConfigException naming the field and the problem
   */
  public static ModelConfig validate(ModelConfig config, String source) {
    Check c = new Check(source);
    c.require(config.modelType().equals("llava"), "model_type", "must be \"llava\", got \"" + config.modelType() + "\"");
    c.require(config.projectorHiddenAct().equals("gelu"), "projector_hidden_act",
        "unsupported activation \"" + config.projectorHiddenAct() + "\" (supported: gelu)");
    c.require(config.systemPrompt() != null, "system_prompt", "must be a string");
    validateVision(c, config.visionConfig());
    validateText(c, config.textConfig());
    TextConfig t = config.textConfig();
    VisionConfig v = config.visionConfig();
    c.require(config.imageTokenIndex() >= 0 && config.imageTokenIndex() < t.vocabSize(), "image_token_index",
        "must be in [0, text_config.vocab_size=" + t.vocabSize() + "), got " + config.imageTokenIndex());
    int n = v.numHiddenLayers();
    c.require(config.visionFeatureLayer() >= -(n + 1) && config.visionFeatureLayer() <= n
            && config.visionLayersUsed() >= 1,
        "vision_feature_layer", "must select one of the " + n + " encoder layers (-" + n + ".." + n
            + ", not the embeddings), got " + config.visionFeatureLayer());
    validateStats(c, "image_mean", config.imageMean(), false);
    validateStats(c, "image_std", config.imageStd(), true);
    c.require(config.imageAspectMode().equals("crop") || config.imageAspectMode().equals("pad"),
        "image_aspect_mode", "must be \"crop\" or \"pad\", got \"" + config.imageAspectMode() + "\"");
    c.require(v.visionStyle() != VisionStyle.SIGLIP || config.imageAspectMode().equals("pad"), "image_aspect_mode",
        "vision_style siglip needs \"pad\" (SigLIP's processor resizes to a square without cropping, which the "
            + "project does by padding to a square first, as MoE-LLaVA does), got \"" + config.imageAspectMode() + "\"");
    TrainingConfig tr = config.training();
    validateStage(c, "training.vision", tr.vision());
    validateStage(c, "training.stage1", tr.stage1());
    validateStage(c, "training.stage2", tr.stage2());
    validateStage(c, "training.stage3", tr.stage3());
    c.positive("training.keep_checkpoints", tr.keepCheckpoints());
    return config;
  }

  private static void validateVision(Check c, VisionConfig v) {
    String p = "vision_config.";
    c.positive(p + "hidden_size", v.hiddenSize());
    c.positive(p + "intermediate_size", v.intermediateSize());
    c.positive(p + "num_hidden_layers", v.numHiddenLayers());
    c.positive(p + "num_attention_heads", v.numAttentionHeads());
    c.positive(p + "image_size", v.imageSize());
    c.positive(p + "patch_size", v.patchSize());
    c.require(v.numChannels() == 3, p + "num_channels", "must be 3 (RGB), got " + v.numChannels());
    c.require(v.hiddenSize() % v.numAttentionHeads() == 0, p + "num_attention_heads",
        v.numAttentionHeads() + " heads do not divide hidden_size " + v.hiddenSize());
    // SigLIP-so400m-patch14-384 is not a multiple (384 = 27 * 14 + 6): its stride-14 convolution, like the project's
    // VALID one, ignores the last 6 pixel rows and columns (27 * 27 = 729 patches); CLIP towers stay exact
    c.require(v.imageSize() % v.patchSize() == 0 || v.visionStyle() == VisionStyle.SIGLIP, p + "image_size",
        "image_size " + v.imageSize() + " is not a multiple of patch_size " + v.patchSize());
    c.require(v.layerNormEps() > 0, p + "layer_norm_eps", "must be > 0, got " + v.layerNormEps());
    c.require(v.visionStyle() != null, p + "vision_style", "must be clip or siglip");
    c.require(v.hiddenAct().equals(v.visionStyle().hiddenAct()), p + "hidden_act",
        "unsupported activation \"" + v.hiddenAct() + "\" for vision_style " + v.visionStyle() + " (supported: "
            + v.visionStyle().hiddenAct() + ")");
    c.require(v.numPatches() >= 1, p + "image_size", "image_size " + v.imageSize() + " / patch_size "
        + v.patchSize() + " leaves no image token (vision_style siglip drops the first of its patches)");
  }

  private static void validateText(Check c, TextConfig t) {
    String p = "text_config.";
    c.positive(p + "vocab_size", t.vocabSize());
    c.positive(p + "hidden_size", t.hiddenSize());
    c.positive(p + "intermediate_size", t.intermediateSize());
    c.positive(p + "moe_intermediate_size", t.moeIntermediateSize());
    c.positive(p + "num_hidden_layers", t.numHiddenLayers());
    c.positive(p + "num_attention_heads", t.numAttentionHeads());
    c.positive(p + "num_key_value_heads", t.numKeyValueHeads());
    c.positive(p + "max_position_embeddings", t.maxPositionEmbeddings());
    c.require(t.hiddenSize() % t.numAttentionHeads() == 0, p + "num_attention_heads",
        t.numAttentionHeads() + " heads do not divide hidden_size " + t.hiddenSize());
    c.require(t.numAttentionHeads() % t.numKeyValueHeads() == 0, p + "num_key_value_heads",
        t.numKeyValueHeads() + " key/value heads do not divide num_attention_heads " + t.numAttentionHeads());
    c.require(t.headDim() % 2 == 0, p + "hidden_size", "head_dim " + t.headDim() + " must be even for RoPE");
    c.require(t.ropeTheta() > 0, p + "rope_theta", "must be > 0, got " + t.ropeTheta());
    c.require(t.rmsNormEps() > 0, p + "rms_norm_eps", "must be > 0, got " + t.rmsNormEps());
    validateArchitecture(c, t);
    c.positive(p + "num_experts", t.numExperts());
    c.positive(p + "num_experts_per_tok", t.numExpertsPerTok());
    c.require(t.numExpertsPerTok() <= t.numExperts(), p + "num_experts_per_tok",
        "k=" + t.numExpertsPerTok() + " exceeds num_experts E=" + t.numExperts());
    for (int layer : t.moeLayers().explicitLayers()) {
      c.require(layer >= 0 && layer < t.numHiddenLayers(), p + "moe_layers",
          "layer index " + layer + " is out of range [0, " + t.numHiddenLayers() + ")");
    }
    c.require(t.capacityFactor() > 0, p + "capacity_factor", "must be > 0, got " + t.capacityFactor());
    c.require(t.evalCapacityFactor() > 0, p + "eval_capacity_factor",
        "must be > 0, got " + t.evalCapacityFactor());
    c.require(t.minCapacity() >= 0, p + "min_capacity", "must be >= 0, got " + t.minCapacity());
    c.require(t.routerAuxLossCoef() >= 0, p + "router_aux_loss_coef",
        "must be >= 0, got " + t.routerAuxLossCoef());
    c.require(t.padTokenId() >= 0 && t.padTokenId() < t.vocabSize(), p + "pad_token_id",
        "must be in [0, vocab_size=" + t.vocabSize() + "), got " + t.padTokenId());
    c.require(t.eosTokenId() >= 0 && t.eosTokenId() < t.vocabSize(), p + "eos_token_id",
        "must be in [0, vocab_size=" + t.vocabSize() + "), got " + t.eosTokenId());
  }

  /** The architecture fields: each consistent on its own, then with the family of {@code decoder_style}. */
  private static void validateArchitecture(Check c, TextConfig t) {
    String p = "text_config.";
    c.require(t.decoderStyle() != null, p + "decoder_style", "must be qwen2_moe, stablelm, phi or qwen");
    c.require(t.normType() != null, p + "norm_type", "must be rms_norm or layer_norm");
    c.require(t.mlpType() != null, p + "mlp_type", "must be swiglu or fc");
    c.require(!t.normBias() || t.normType() == NormType.LAYER_NORM, p + "norm_bias",
        "only layer_norm has a bias; must be false with norm_type rms_norm");
    c.require(!t.mlpBias() || t.mlpType() == MlpType.FC, p + "mlp_bias",
        "only the fc MLP has biases; must be false with mlp_type swiglu");
    c.require(t.mlpType() != MlpType.SWIGLU || t.hiddenAct().equals("silu"), p + "hidden_act",
        "unsupported activation \"" + t.hiddenAct() + "\" for mlp_type swiglu (supported: silu)");
    c.require(t.mlpType() != MlpType.FC || t.hiddenAct().equals("gelu_new") || t.hiddenAct().equals("gelu"),
        p + "hidden_act", "unsupported activation \"" + t.hiddenAct() + "\" for mlp_type fc (supported: gelu_new, gelu)");
    double f = t.partialRotaryFactor();
    c.require(f > 0 && f <= 1, p + "partial_rotary_factor", "must be in (0, 1], got " + f);
    c.require(t.rotaryDim() >= 2 && t.rotaryDim() % 2 == 0, p + "partial_rotary_factor",
        "rotates int(head_dim " + t.headDim() + " x " + f + ") = " + t.rotaryDim() + " dims, which must be even and >= 2");
    DecoderStyle style = t.decoderStyle();
    Map<String, Object> actual = t.architecture().fields();
    for (Map.Entry<String, Object> family : style.defaults().fields().entrySet()) {
      String key = family.getKey();
      if (style.freeFields().contains(key)) continue;
      Object got = actual.get(key);
      c.require(family.getValue().equals(got), p + key, "decoder_style \"" + style + "\" fixes it to "
          + family.getValue() + ", got " + got);
    }
    if (style == DecoderStyle.QWEN) {
      c.require(t.numKeyValueHeads() == t.numAttentionHeads(), p + "num_key_value_heads",
          "decoder_style \"qwen\" has no grouped-query attention; must equal num_attention_heads "
              + t.numAttentionHeads() + ", got " + t.numKeyValueHeads());
    }
  }

  private static void validateStats(Check c, String field, List<Double> values, boolean strictlyPositive) {
    c.require(values.size() == 3, field, "must have 3 values (one per channel), got " + values.size());
    for (double v : values) {
      c.require(!strictlyPositive || v > 0, field, "values must be > 0, got " + v);
    }
  }

  private static void validateStage(Check c, String prefix, StageConfig s) {
    c.require(s.learningRate() > 0, prefix + ".learning_rate", "must be > 0, got " + s.learningRate());
    c.positive(prefix + ".batch_size", s.batchSize());
    c.require(s.steps() >= 0, prefix + ".steps", "must be >= 0, got " + s.steps());
    c.require(s.warmupRatio() >= 0 && s.warmupRatio() <= 1, prefix + ".warmup_ratio",
        "must be in [0, 1], got " + s.warmupRatio());
    c.require(s.weightDecay() >= 0, prefix + ".weight_decay", "must be >= 0, got " + s.weightDecay());
    c.require(s.maxGradNorm() >= 0, prefix + ".max_grad_norm", "must be >= 0, got " + s.maxGradNorm());
    c.positive(prefix + ".grad_accum_steps", s.gradAccumSteps());
    c.require(s.checkpointEvery() >= 0, prefix + ".checkpoint_every", "must be >= 0, got " + s.checkpointEvery());
  }

  /** Accumulates nothing: the first failed requirement throws. */
  private record Check(String source) {
    void require(boolean ok, String field, String problem) {
      if (!ok) {
        throw new ConfigException(source + ": " + field + ": " + problem);
      }
    }

    void positive(String field, long value) {
      require(value > 0, field, "must be > 0, got " + value);
    }
  }
}
