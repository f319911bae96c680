package org.moellava.hf;

import java.util.List;
import org.moellava.config.DecoderStyle;

/**
 * The text families of the published MoE-LLaVA checkpoints (PKU-YuanGroup/MoE-LLaVA), as their {@code config.json}
 * names them ({@code model_type}) and as their safetensors lay the weights out.
 */
enum MoeLlavaFamily {
  /** StableLM-2 (stablelm_epoch): {@code model.*}, tokenizer {@code arcade100k.tiktoken}. */
  STABLELM("moe_llava_stablelm", "MoELLaVAStablelmForCausalLM", DecoderStyle.STABLELM, "model.",
      List.of("arcade100k.tiktoken")),
  /** Phi-2: {@code model.*}, tokenizer {@code vocab.json} and {@code merges.txt} (CodeGen/GPT-2 BPE). */
  PHI("moe_llava_phi", "MoELLaVAPhiForCausalLM", DecoderStyle.PHI, "model.",
      List.of("vocab.json", "merges.txt", "added_tokens.json")),
  /** Qwen-1 (QWenLMHeadModel): everything under {@code transformer.*}, tokenizer {@code qwen.tiktoken}. */
  QWEN("moe_llava_qwen", "MoELLaVAQWenForCausalLM", DecoderStyle.QWEN, "transformer.",
      List.of("qwen.tiktoken"));

  /** Tokenizer side files every family ships. */
  static final List<String> TOKENIZER_SIDE_FILES = List.of("tokenizer_config.json", "special_tokens_map.json");

  private final String modelType;
  private final String architecture;
  private final DecoderStyle style;
  private final String prefix;
  private final List<String> tokenizerFiles;

  MoeLlavaFamily(String modelType, String architecture, DecoderStyle style, String prefix,
      List<String> tokenizerFiles) {
    this.modelType = modelType;
    this.architecture = architecture;
    this.style = style;
    this.prefix = prefix;
    this.tokenizerFiles = tokenizerFiles;
  }

  /** {@code config.json}'s {@code model_type}. */
  String modelType() {
    return modelType;
  }

  /** {@code config.json}'s {@code architectures[0]}. */
  String architecture() {
    return architecture;
  }

  /** The project's decoder style. */
  DecoderStyle style() {
    return style;
  }

  /** The prefix of the LLM, projector and tower keys: {@code model.} or {@code transformer.}. */
  String prefix() {
    return prefix;
  }

  /** The tokenizer's own files (the first one is required for a conversion). */
  List<String> tokenizerFiles() {
    return tokenizerFiles;
  }

  /** The family of a {@code model_type}, or null. */
  static MoeLlavaFamily ofModelType(String modelType) {
    for (MoeLlavaFamily f : values()) {
      if (f.modelType.equals(modelType)) return f;
    }
    return null;
  }

  /** The family of a project decoder style, or null. */
  static MoeLlavaFamily ofStyle(DecoderStyle style) {
    for (MoeLlavaFamily f : values()) {
      if (f.style == style) return f;
    }
    return null;
  }
}
