package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Set;
import org.moellava.error.ConfigException;

/**
 * The family a decoder belongs to ({@code text_config.decoder_style}). The family fixes most of the
 * {@link DecoderArchitecture} fields to its published values (so that every valid config can be written back in that
 * family's checkpoint layout); {@link #freeFields()} lists the ones that vary within the family.
 */
public enum DecoderStyle {
  /**
   * Hugging Face Qwen2-MoE without a shared expert (the project's default, docs/architecture.md §2): RMSNorm, q/k/v
   * biases, full rotary, SwiGLU.
   */
  QWEN2_MOE("qwen2_moe",
      new DecoderArchitecture(null, NormType.RMS_NORM, false, true, false, 1.0, false, MlpType.SWIGLU, false, false),
      "silu", Set.of()),
  /**
   * MoE-LLaVA's StableLM (StableLM-2 / stablelm_epoch): LayerNorm with bias, optional q/k/v biases, partial rotary
   * ({@code rope_pct}), SwiGLU.
   */
  STABLELM("stablelm",
      new DecoderArchitecture(null, NormType.LAYER_NORM, true, true, false, 0.25, false, MlpType.SWIGLU, false, false),
      "silu", Set.of("qkv_bias", "partial_rotary_factor")),
  /**
   * MoE-LLaVA's Phi-2: one LayerNorm feeding attention and MLP in parallel, biases on q/k/v and dense, partial rotary,
   * {@code fc2(gelu_new(fc1(x)))} with biases; MoE-LLaVA's class has no lm_head bias (Phi-2's own has one).
   */
  PHI("phi",
      new DecoderArchitecture(null, NormType.LAYER_NORM, true, true, true, 0.4, true, MlpType.FC, true, false),
      "gelu_new", Set.of("partial_rotary_factor", "lm_head_bias")),
  /**
   * MoE-LLaVA's Qwen-1 (QWenLMHeadModel): RMSNorm, fused {@code c_attn} with bias, no o-proj bias, full rotary,
   * {@code c_proj(w1(x)·silu(w2(x)))} (SwiGLU), no grouped-query attention.
   */
  QWEN("qwen",
      new DecoderArchitecture(null, NormType.RMS_NORM, false, true, false, 1.0, false, MlpType.SWIGLU, false, false),
      "silu", Set.of("partial_rotary_factor"));

  private final String id;
  private final DecoderArchitecture defaults;
  private final String hiddenAct;
  private final Set<String> freeFields;

  DecoderStyle(String id, DecoderArchitecture defaults, String hiddenAct, Set<String> freeFields) {
    this.id = id;
    this.defaults = defaults;
    this.hiddenAct = hiddenAct;
    this.freeFields = freeFields;
  }

  /** The name in {@code config.json}. */
  @JsonValue
  public String id() {
    return id;
  }

  /** The family's architecture: what a config of this style gets for the fields it leaves out. */
  public DecoderArchitecture defaults() {
    return defaults.withStyle(this);
  }

  /** The family's FFN activation ({@code text_config.hidden_act}). */
  public String hiddenAct() {
    return hiddenAct;
  }

  /** The {@code text_config} keys of {@link DecoderArchitecture} that may differ from {@link #defaults()}. */
  public Set<String> freeFields() {
    return freeFields;
  }

  /** Parses a config value; an unknown name fails naming the field. */
  @JsonCreator
  public static DecoderStyle parse(String id) {
    for (DecoderStyle s : values()) {
      if (s.id.equals(id)) return s;
    }
    throw new ConfigException("text_config.decoder_style: unknown decoder style '" + id
        + "' (expected qwen2_moe, stablelm, phi or qwen)");
  }

  @Override
  public String toString() {
    return id;
  }
}
