package org.moellava.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What varies between the decoder families of {@link DecoderStyle}, as one value: the {@code text_config} fields
 * {@code decoder_style}, {@code norm_type}, {@code norm_bias}, {@code qkv_bias}, {@code o_proj_bias},
 * {@code partial_rotary_factor}, {@code parallel_residual}, {@code mlp_type}, {@code mlp_bias} and
 * {@code lm_head_bias}. {@link TextConfig#architecture()} returns it; {@link TextConfig#withArchitecture} sets it.
 *
 * @param style the family
 * @param normType RMSNorm or LayerNorm (input, post-attention and final norms; epsilon {@code rms_norm_eps})
 * @param normBias LayerNorm has a bias β (LayerNorm only)
 * @param qkvBias the q/k/v projections have biases
 * @param oProjBias the attention output projection has a bias
 * @param partialRotaryFactor RoPE rotates the first {@code int(head_dim · factor)} dims of each head (1: all)
 * @param parallelResidual one norm feeds attention and FFN: {@code h + attn(n(h)) + ffn(n(h))} (Phi-2); otherwise
 *     {@code h += attn(n1(h)); h += ffn(n2(h))}
 * @param mlpType SwiGLU or fc1/fc2, for the dense FFN and every expert
 * @param mlpBias fc1/fc2 have biases (fc MLP only)
 * @param lmHeadBias lm_head has a bias
 */
public record DecoderArchitecture(DecoderStyle style, NormType normType, boolean normBias, boolean qkvBias,
    boolean oProjBias, double partialRotaryFactor, boolean parallelResidual, MlpType mlpType, boolean mlpBias,
    boolean lmHeadBias) {

  /** The same architecture labelled with another style. */
  public DecoderArchitecture withStyle(DecoderStyle s) {
    return new DecoderArchitecture(s, normType, normBias, qkvBias, oProjBias, partialRotaryFactor, parallelResidual,
        mlpType, mlpBias, lmHeadBias);
  }

  /** The same architecture with q/k/v biases on or off. */
  public DecoderArchitecture withQkvBias(boolean b) {
    return new DecoderArchitecture(style, normType, normBias, b, oProjBias, partialRotaryFactor, parallelResidual,
        mlpType, mlpBias, lmHeadBias);
  }

  /** The same architecture with another partial rotary factor. */
  public DecoderArchitecture withPartialRotaryFactor(double f) {
    return new DecoderArchitecture(style, normType, normBias, qkvBias, oProjBias, f, parallelResidual, mlpType,
        mlpBias, lmHeadBias);
  }

  /** The same architecture with an lm_head bias or without. */
  public DecoderArchitecture withLmHeadBias(boolean b) {
    return new DecoderArchitecture(style, normType, normBias, qkvBias, oProjBias, partialRotaryFactor,
        parallelResidual, mlpType, mlpBias, b);
  }

  /** The fields by their {@code text_config} key, in config order (style excluded). */
  public Map<String, Object> fields() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("norm_type", normType);
    out.put("norm_bias", normBias);
    out.put("qkv_bias", qkvBias);
    out.put("o_proj_bias", oProjBias);
    out.put("partial_rotary_factor", partialRotaryFactor);
    out.put("parallel_residual", parallelResidual);
    out.put("mlp_type", mlpType);
    out.put("mlp_bias", mlpBias);
    out.put("lm_head_bias", lmHeadBias);
    return out;
  }
}
