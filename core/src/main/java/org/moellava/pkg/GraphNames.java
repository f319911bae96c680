package org.moellava.pkg;

/**
 * Op names of the graphs' inputs and outputs: the contract with the ONNX exporter and every backend (names follow
 * ONNX Runtime GenAI's convention).
 */
public final class GraphNames {
  private GraphNames() {}

  public static final String PIXEL_VALUES = "pixel_values"; // [B,3,H,W] f32
  public static final String IMAGE_FEATURES = "image_features"; // [B,P,D] f32
  public static final String INPUT_IDS = "input_ids"; // [B,S] i32
  public static final String INPUTS_EMBEDS = "inputs_embeds"; // [B,S,D] f32
  public static final String ATTENTION_MASK = "attention_mask"; // [B,past+S] i32
  public static final String POSITION_IDS = "position_ids"; // [B,S] i32
  public static final String LOGITS = "logits"; // [B,S,V] f32
  public static final String LABELS = "labels"; // [B,S] i32, -100 ignored

  // ---- training graph ----
  public static final String LOSS = "loss"; // scalar: ce + alpha * sum aux
  public static final String CE_LOSS = "ce_loss"; // scalar
  public static final String AUX_LOSS = "aux_loss"; // scalar: sum over MoE layers (before alpha)
  public static final String CAPACITY_FACTOR = "capacity_factor"; // scalar f64, defaults to capacity_factor
  public static final String ROUTER_NOISE_SCALE = "router_noise_scale"; // scalar f32 (only with router_gumbel_noise)

  /** {@code past_key_values.{layer}.key}: {@code [B, Hkv, past, hd]}. */
  public static String pastKey(int layer) {
    return "past_key_values." + layer + ".key";
  }

  /** {@code past_key_values.{layer}.value}: {@code [B, Hkv, past, hd]}. */
  public static String pastValue(int layer) {
    return "past_key_values." + layer + ".value";
  }

  /** {@code present.{layer}.key}: {@code [B, Hkv, past+S, hd]}. */
  public static String presentKey(int layer) {
    return "present." + layer + ".key";
  }

  /** {@code present.{layer}.value}: {@code [B, Hkv, past+S, hd]}. */
  public static String presentValue(int layer) {
    return "present." + layer + ".value";
  }

  /** {@code router_logits.{layer}}: {@code [B*S, E]} for MoE layer {@code layer} (decoder layer index). */
  public static String routerLogits(int layer) {
    return "router_logits." + layer;
  }

  /** Training graph: {@code aux_loss.{layer}} scalar. */
  public static String layerAuxLoss(int layer) {
    return "aux_loss." + layer;
  }

  /** Training graph: {@code expert_counts.{layer}} {@code [E]} int32, assignments computed per expert. */
  public static String expertCounts(int layer) {
    return "expert_counts." + layer;
  }

  /** Training graph: {@code dropped_tokens.{layer}} scalar int32, assignments dropped by capacity. */
  public static String droppedTokens(int layer) {
    return "dropped_tokens." + layer;
  }

  /** Training graph: {@code chosen_experts.{layer}} {@code [B*S, k]} int32. */
  public static String chosenExperts(int layer) {
    return "chosen_experts." + layer;
  }
}
