package org.moellava.graph.variables;

/**
 * The stable names of every model variable. These names are the contract between the graphs, the checkpoint
 * ({@code variables/}), the Hugging Face mapping and the ONNX exporter: change them only together.
 *
 * <p>Layouts are TensorFlow's: a linear layer computes {@code x·kernel + bias} with {@code kernel [in, out]}
 * (Hugging Face stores {@code weight [out, in]}); the patch convolution kernel is HWIO {@code [p, p, 3, Dv]};
 * the stacked experts are {@code gate_proj/up_proj [E, D, I]} and {@code down_proj [E, I, D]} (SwiGLU) or
 * {@code fc1 [E, D, I]}, {@code fc1_bias [E, I]}, {@code fc2 [E, I, D]}, {@code fc2_bias [E, D]} (fc MLP); the router
 * kernel is {@code [D, E]}; LayerNorm has {@code gamma}/{@code beta} ({@code beta} only with a bias), RMSNorm has
 * {@code gamma}.
 *
 * <p>Which names a decoder has depends on its architecture ({@code text_config}): {@code norm_bias} adds the norms'
 * {@code beta}, {@code qkv_bias} the q/k/v {@code bias}, {@code o_proj_bias} {@code o_proj/bias},
 * {@code parallel_residual} drops {@code post_attention_layernorm}, {@code mlp_type fc} uses {@code fc1}/{@code fc2}
 * (with {@code bias} when {@code mlp_bias}) instead of {@code gate_proj}/{@code up_proj}/{@code down_proj}, and
 * {@code lm_head_bias} adds {@link #LM_HEAD_BIAS}.
 */
public final class VariableNames {
  private VariableNames() {}

  public static final String VISION = "vision";
  public static final String PROJECTOR = "projector";
  public static final String LLM = "llm";

  // ---- vision tower (CLIP) ----
  public static final String PATCH_EMBEDDING_KERNEL = "vision/patch_embedding/kernel"; // [p, p, 3, Dv]
  public static final String CLASS_EMBEDDING = "vision/class_embedding"; // [Dv]
  public static final String POSITION_EMBEDDING = "vision/position_embedding"; // [P+1, Dv]
  public static final String PRE_LAYERNORM = "vision/pre_layrnorm"; // /gamma, /beta
  public static final String POST_LAYERNORM = "vision/post_layernorm"; // /gamma, /beta (unused by LLaVA)
  // ---- vision tower (SigLIP: no class embedding, no pre_layrnorm, positions [P, Dv]) ----
  public static final String PATCH_EMBEDDING_BIAS = "vision/patch_embedding/bias"; // [Dv]
  /**
   * SigLIP's attention-pooling head, kept for the checkpoint but unused by LLaVA: {@code /probe [1, 1, Dv]},
   * {@code /attention/in_proj} (kernel {@code [Dv, 3Dv]}, bias {@code [3Dv]}), {@code /attention/out_proj},
   * {@code /layernorm}, {@code /mlp/fc1}, {@code /mlp/fc2}.
   */
  public static final String VISION_HEAD = "vision/head";

  /** Prefix of vision encoder layer {@code i}: {@code /self_attn/{q,k,v,out}_proj}, {@code /layer_norm1}, {@code /layer_norm2}, {@code /mlp/fc1}, {@code /mlp/fc2}. */
  public static String visionLayer(int i) {
    return "vision/layers_" + i;
  }

  // ---- projector ----
  public static final String PROJECTOR_LINEAR_1 = "projector/linear_1"; // /kernel [Dv, D], /bias [D]
  public static final String PROJECTOR_LINEAR_2 = "projector/linear_2"; // /kernel [D, D], /bias [D]

  // ---- decoder ----
  public static final String EMBED_TOKENS = "llm/embed_tokens/embeddings"; // [V, D]
  public static final String FINAL_NORM = "llm/norm"; // /gamma [D]
  public static final String LM_HEAD_KERNEL = "lm_head/kernel"; // [D, V]
  public static final String LM_HEAD_BIAS = "lm_head/bias"; // [V], only with lm_head_bias

  /**
   * Prefix of decoder layer {@code i}: {@code /input_layernorm}, {@code /post_attention_layernorm},
   * {@code /self_attn/{q,k,v}_proj/{kernel,bias}}, {@code /self_attn/o_proj/kernel} (and {@code /bias}), and either
   * the dense FFN {@code /mlp/{gate,up,down}_proj/kernel} or {@code /mlp/fc{1,2}/{kernel,bias}}, or the MoE block
   * {@code /mlp/gate/kernel} (router) and {@code /mlp/experts/{gate,up,down}_proj} or
   * {@code /mlp/experts/fc{1,2}}, {@code /mlp/experts/fc{1,2}_bias}.
   */
  public static String decoderLayer(int i) {
    return "llm/layers_" + i;
  }

  public static String routerKernel(int layer) {
    return decoderLayer(layer) + "/mlp/gate/kernel"; // [D, E]
  }

  public static String expertsGate(int layer) {
    return decoderLayer(layer) + "/mlp/experts/gate_proj"; // [E, D, I]
  }

  public static String expertsUp(int layer) {
    return decoderLayer(layer) + "/mlp/experts/up_proj"; // [E, D, I]
  }

  public static String expertsDown(int layer) {
    return decoderLayer(layer) + "/mlp/experts/down_proj"; // [E, I, D]
  }

  public static String denseGate(int layer) {
    return decoderLayer(layer) + "/mlp/gate_proj/kernel"; // [D, I]
  }

  public static String denseUp(int layer) {
    return decoderLayer(layer) + "/mlp/up_proj/kernel"; // [D, I]
  }

  public static String denseDown(int layer) {
    return decoderLayer(layer) + "/mlp/down_proj/kernel"; // [I, D]
  }

  /** The dense fc MLP's first layer of decoder layer {@code layer}: {@code /kernel [D, I]}, {@code /bias [I]}. */
  public static String denseFc1(int layer) {
    return decoderLayer(layer) + "/mlp/fc1";
  }

  /** The dense fc MLP's second layer of decoder layer {@code layer}: {@code /kernel [I, D]}, {@code /bias [D]}. */
  public static String denseFc2(int layer) {
    return decoderLayer(layer) + "/mlp/fc2";
  }

  public static String expertsFc1(int layer) {
    return decoderLayer(layer) + "/mlp/experts/fc1"; // [E, D, I]
  }

  public static String expertsFc1Bias(int layer) {
    return decoderLayer(layer) + "/mlp/experts/fc1_bias"; // [E, I]
  }

  public static String expertsFc2(int layer) {
    return decoderLayer(layer) + "/mlp/experts/fc2"; // [E, I, D]
  }

  public static String expertsFc2Bias(int layer) {
    return decoderLayer(layer) + "/mlp/experts/fc2_bias"; // [E, D]
  }

  /** Prefix of the vision-pretraining head, dropped after the {@code vision} stage. */
  public static final String VISION_PRETRAIN_HEAD = "vision_head";

  /**
   * The variable group of {@code name}, used by the stages to choose what trains:
   * vision, projector, embeddings, attention, norms, ffn, experts, routers, lm_head, vision_head.
   */
  public static VariableGroup groupOf(String name) {
    if (name.startsWith(VISION_PRETRAIN_HEAD + "/")) return VariableGroup.VISION_HEAD;
    if (name.startsWith(VISION + "/")) return VariableGroup.VISION;
    if (name.startsWith(PROJECTOR + "/")) return VariableGroup.PROJECTOR;
    if (name.startsWith("lm_head/")) return VariableGroup.LM_HEAD;
    if (name.equals(EMBED_TOKENS)) return VariableGroup.EMBEDDINGS;
    if (name.contains("/self_attn/")) return VariableGroup.ATTENTION;
    if (name.contains("layernorm") || name.startsWith(FINAL_NORM + "/")) return VariableGroup.NORMS;
    if (name.contains("/mlp/experts/")) return VariableGroup.EXPERTS;
    if (name.contains("/mlp/gate/")) return VariableGroup.ROUTERS;
    if (name.contains("/mlp/")) return VariableGroup.FFN;
    throw new IllegalArgumentException("variable '" + name + "' belongs to no group");
  }
}
