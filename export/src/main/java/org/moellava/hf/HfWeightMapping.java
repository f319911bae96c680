package org.moellava.hf;

import static org.moellava.hf.HfTransform.AS_IS;
import static org.moellava.hf.HfTransform.CONV_OIHW_TO_HWIO;
import static org.moellava.hf.HfTransform.EXPERTS_LINEAR;
import static org.moellava.hf.HfTransform.LINEAR;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.graph.variables.VariableNames;

/**
 * THE mapping between Hugging Face {@code LlavaForConditionalGeneration} (CLIP vision tower, Qwen2-MoE text
 * model) tensor keys and the project's variable names ({@link VariableNames}), in one table: {@link #RULES}.
 *
 * <p>Keys are written in the layout {@code save_pretrained} produces (the reference fixtures):
 * {@code vision_tower.*}, {@code multi_modal_projector.*}, {@code language_model.model.*},
 * {@code language_model.lm_head.weight}; {@link HfKeyLayout} accepts the other layouts on import.
 * In keys and names, {@code {i}} is a layer index and {@code {e}} an expert index. Shapes are Hugging Face's
 * (per expert for {@link HfTransform#EXPERTS_LINEAR}); {@link HfTransform} gives the project's.
 */
public final class HfWeightMapping {
  private HfWeightMapping() {}

  /** Which layers (or none) a rule repeats over. */
  public enum Scope {
    /** Once. */
    GLOBAL,
    /** Every vision encoder layer. */
    VISION_LAYER,
    /** Every decoder layer. */
    DECODER_LAYER,
    /** Decoder layers with a dense FFN (Hugging Face {@code mlp_only_layers}). */
    DENSE_LAYER,
    /** MoE decoder layers. */
    MOE_LAYER,
    /** Once, when the embeddings are not tied to {@code lm_head}. */
    UNTIED_LM_HEAD
  }

  /**
   * One row of the table.
   *
   * @param scope which layers it repeats over
   * @param hfKey Hugging Face key template
   * @param projectName project variable name template; null for {@link #INERT} tensors
   * @param transform layout conversion
   * @param hfShape the Hugging Face shape (per expert) for a config
   */
  public record Rule(Scope scope, String hfKey, String projectName, HfTransform transform,
      Function<ModelConfig, long[]> hfShape) {}

  private static final String V = "vision_tower.";
  private static final String VL = V + "encoder.layers.{i}.";
  private static final String P = "multi_modal_projector.";
  private static final String T = "language_model.model.";
  private static final String TL = T + "layers.{i}.";
  private static final String VIS = VariableNames.visionLayer(0).replace("0", "{i}");
  private static final String DEC = VariableNames.decoderLayer(0).replace("0", "{i}");

  private static VisionConfig v(ModelConfig c) {
    return c.visionConfig();
  }

  private static TextConfig t(ModelConfig c) {
    return c.textConfig();
  }

  private static long[] dims(long... d) {
    return d;
  }

  private static Rule rule(Scope scope, String hfKey, String projectName, HfTransform transform,
      Function<ModelConfig, long[]> hfShape) {
    return new Rule(scope, hfKey, projectName, transform, hfShape);
  }

  /** Every mapped tensor. */
  public static final List<Rule> RULES = List.of(
      // ---- vision tower (CLIP) ----
      rule(Scope.GLOBAL, V + "embeddings.patch_embedding.weight", VariableNames.PATCH_EMBEDDING_KERNEL,
          CONV_OIHW_TO_HWIO, c -> dims(v(c).hiddenSize(), v(c).numChannels(), v(c).patchSize(), v(c).patchSize())),
      rule(Scope.GLOBAL, V + "embeddings.class_embedding", VariableNames.CLASS_EMBEDDING, AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.GLOBAL, V + "embeddings.position_embedding.weight", VariableNames.POSITION_EMBEDDING, AS_IS,
          c -> dims(v(c).positionEmbeddings(), v(c).hiddenSize())),
      rule(Scope.GLOBAL, V + "pre_layrnorm.weight", VariableNames.PRE_LAYERNORM + "/gamma", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.GLOBAL, V + "pre_layrnorm.bias", VariableNames.PRE_LAYERNORM + "/beta", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.GLOBAL, V + "post_layernorm.weight", VariableNames.POST_LAYERNORM + "/gamma", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.GLOBAL, V + "post_layernorm.bias", VariableNames.POST_LAYERNORM + "/beta", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "self_attn.q_proj.weight", VIS + "/self_attn/q_proj/kernel", LINEAR,
          c -> dims(v(c).hiddenSize(), v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "self_attn.q_proj.bias", VIS + "/self_attn/q_proj/bias", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "self_attn.k_proj.weight", VIS + "/self_attn/k_proj/kernel", LINEAR,
          c -> dims(v(c).hiddenSize(), v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "self_attn.k_proj.bias", VIS + "/self_attn/k_proj/bias", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "self_attn.v_proj.weight", VIS + "/self_attn/v_proj/kernel", LINEAR,
          c -> dims(v(c).hiddenSize(), v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "self_attn.v_proj.bias", VIS + "/self_attn/v_proj/bias", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "self_attn.out_proj.weight", VIS + "/self_attn/out_proj/kernel", LINEAR,
          c -> dims(v(c).hiddenSize(), v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "self_attn.out_proj.bias", VIS + "/self_attn/out_proj/bias", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "layer_norm1.weight", VIS + "/layer_norm1/gamma", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "layer_norm1.bias", VIS + "/layer_norm1/beta", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "layer_norm2.weight", VIS + "/layer_norm2/gamma", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "layer_norm2.bias", VIS + "/layer_norm2/beta", AS_IS,
          c -> dims(v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "mlp.fc1.weight", VIS + "/mlp/fc1/kernel", LINEAR,
          c -> dims(v(c).intermediateSize(), v(c).hiddenSize())),
      rule(Scope.VISION_LAYER, VL + "mlp.fc1.bias", VIS + "/mlp/fc1/bias", AS_IS,
          c -> dims(v(c).intermediateSize())),
      rule(Scope.VISION_LAYER, VL + "mlp.fc2.weight", VIS + "/mlp/fc2/kernel", LINEAR,
          c -> dims(v(c).hiddenSize(), v(c).intermediateSize())),
      rule(Scope.VISION_LAYER, VL + "mlp.fc2.bias", VIS + "/mlp/fc2/bias", AS_IS,
          c -> dims(v(c).hiddenSize())),

      // ---- projector ----
      rule(Scope.GLOBAL, P + "linear_1.weight", VariableNames.PROJECTOR_LINEAR_1 + "/kernel", LINEAR,
          c -> dims(t(c).hiddenSize(), v(c).hiddenSize())),
      rule(Scope.GLOBAL, P + "linear_1.bias", VariableNames.PROJECTOR_LINEAR_1 + "/bias", AS_IS,
          c -> dims(t(c).hiddenSize())),
      rule(Scope.GLOBAL, P + "linear_2.weight", VariableNames.PROJECTOR_LINEAR_2 + "/kernel", LINEAR,
          c -> dims(t(c).hiddenSize(), t(c).hiddenSize())),
      rule(Scope.GLOBAL, P + "linear_2.bias", VariableNames.PROJECTOR_LINEAR_2 + "/bias", AS_IS,
          c -> dims(t(c).hiddenSize())),

      // ---- decoder (Qwen2-MoE) ----
      rule(Scope.GLOBAL, T + "embed_tokens.weight", VariableNames.EMBED_TOKENS, AS_IS,
          c -> dims(t(c).vocabSize(), t(c).hiddenSize())),
      rule(Scope.GLOBAL, T + "norm.weight", VariableNames.FINAL_NORM + "/gamma", AS_IS,
          c -> dims(t(c).hiddenSize())),
      rule(Scope.UNTIED_LM_HEAD, "language_model.lm_head.weight", VariableNames.LM_HEAD_KERNEL, LINEAR,
          c -> dims(t(c).vocabSize(), t(c).hiddenSize())),
      rule(Scope.DECODER_LAYER, TL + "input_layernorm.weight", DEC + "/input_layernorm/gamma", AS_IS,
          c -> dims(t(c).hiddenSize())),
      rule(Scope.DECODER_LAYER, TL + "post_attention_layernorm.weight", DEC + "/post_attention_layernorm/gamma",
          AS_IS, c -> dims(t(c).hiddenSize())),
      rule(Scope.DECODER_LAYER, TL + "self_attn.q_proj.weight", DEC + "/self_attn/q_proj/kernel", LINEAR,
          c -> dims((long) t(c).numAttentionHeads() * t(c).headDim(), t(c).hiddenSize())),
      rule(Scope.DECODER_LAYER, TL + "self_attn.q_proj.bias", DEC + "/self_attn/q_proj/bias", AS_IS,
          c -> dims((long) t(c).numAttentionHeads() * t(c).headDim())),
      rule(Scope.DECODER_LAYER, TL + "self_attn.k_proj.weight", DEC + "/self_attn/k_proj/kernel", LINEAR,
          c -> dims((long) t(c).numKeyValueHeads() * t(c).headDim(), t(c).hiddenSize())),
      rule(Scope.DECODER_LAYER, TL + "self_attn.k_proj.bias", DEC + "/self_attn/k_proj/bias", AS_IS,
          c -> dims((long) t(c).numKeyValueHeads() * t(c).headDim())),
      rule(Scope.DECODER_LAYER, TL + "self_attn.v_proj.weight", DEC + "/self_attn/v_proj/kernel", LINEAR,
          c -> dims((long) t(c).numKeyValueHeads() * t(c).headDim(), t(c).hiddenSize())),
      rule(Scope.DECODER_LAYER, TL + "self_attn.v_proj.bias", DEC + "/self_attn/v_proj/bias", AS_IS,
          c -> dims((long) t(c).numKeyValueHeads() * t(c).headDim())),
      rule(Scope.DECODER_LAYER, TL + "self_attn.o_proj.weight", DEC + "/self_attn/o_proj/kernel", LINEAR,
          c -> dims(t(c).hiddenSize(), (long) t(c).numAttentionHeads() * t(c).headDim())),
      rule(Scope.DENSE_LAYER, TL + "mlp.gate_proj.weight", DEC + "/mlp/gate_proj/kernel", LINEAR,
          c -> dims(t(c).intermediateSize(), t(c).hiddenSize())),
      rule(Scope.DENSE_LAYER, TL + "mlp.up_proj.weight", DEC + "/mlp/up_proj/kernel", LINEAR,
          c -> dims(t(c).intermediateSize(), t(c).hiddenSize())),
      rule(Scope.DENSE_LAYER, TL + "mlp.down_proj.weight", DEC + "/mlp/down_proj/kernel", LINEAR,
          c -> dims(t(c).hiddenSize(), t(c).intermediateSize())),
      rule(Scope.MOE_LAYER, TL + "mlp.gate.weight", DEC + "/mlp/gate/kernel", LINEAR,
          c -> dims(t(c).numExperts(), t(c).hiddenSize())),
      rule(Scope.MOE_LAYER, TL + "mlp.experts.{e}.gate_proj.weight", DEC + "/mlp/experts/gate_proj", EXPERTS_LINEAR,
          c -> dims(t(c).moeIntermediateSize(), t(c).hiddenSize())),
      rule(Scope.MOE_LAYER, TL + "mlp.experts.{e}.up_proj.weight", DEC + "/mlp/experts/up_proj", EXPERTS_LINEAR,
          c -> dims(t(c).moeIntermediateSize(), t(c).hiddenSize())),
      rule(Scope.MOE_LAYER, TL + "mlp.experts.{e}.down_proj.weight", DEC + "/mlp/experts/down_proj", EXPERTS_LINEAR,
          c -> dims(t(c).hiddenSize(), t(c).moeIntermediateSize())));

  /**
   * Tensors of a Qwen2-MoE layer without a shared expert that carry no computation: the zero-size shared expert
   * and its gate (which scales a zero output). Import checks their shapes and keeps the gate's values aside
   * ({@link HfImporter#INERT_FILE}); export writes them back (zeros when none were kept) so that
   * {@code from_pretrained} finds every key.
   */
  public static final List<Rule> INERT = List.of(
      rule(Scope.MOE_LAYER, TL + "mlp.shared_expert.gate_proj.weight", null, AS_IS,
          c -> dims(0, t(c).hiddenSize())),
      rule(Scope.MOE_LAYER, TL + "mlp.shared_expert.up_proj.weight", null, AS_IS,
          c -> dims(0, t(c).hiddenSize())),
      rule(Scope.MOE_LAYER, TL + "mlp.shared_expert.down_proj.weight", null, AS_IS,
          c -> dims(t(c).hiddenSize(), 0)),
      rule(Scope.MOE_LAYER, TL + "mlp.shared_expert_gate.weight", null, AS_IS,
          c -> dims(1, t(c).hiddenSize())));

  /**
   * Fused expert tensors (newer {@code transformers}), accepted on import in place of the per-expert keys:
   * {@code gate_up_proj [E, 2I, D]} (rows {@code [0, I)} are gate_proj, {@code [I, 2I)} up_proj, each an
   * {@code nn.Linear} weight) and {@code down_proj [E, D, I]}.
   */
  public static final String FUSED_GATE_UP = TL + "mlp.experts.gate_up_proj";
  /** See {@link #FUSED_GATE_UP}. */
  public static final String FUSED_DOWN = TL + "mlp.experts.down_proj";

  /**
   * A rule applied to one layer: the Hugging Face keys (one, or one per expert in expert order), the project
   * variable, the transform, and both shapes.
   */
  public record Resolved(List<String> hfKeys, String projectName, HfTransform transform, long[] hfShape,
      long[] projectShape, int layer) {}

  /** The table expanded for {@code config}, in table order. */
  public static List<Resolved> resolve(ModelConfig config) {
    return resolve(RULES, config);
  }

  /** The inert tensors expanded for {@code config}. */
  public static List<Resolved> resolveInert(ModelConfig config) {
    return resolve(INERT, config);
  }

  private static List<Resolved> resolve(List<Rule> rules, ModelConfig config) {
    TextConfig text = config.textConfig();
    if (text.decoderStyle() != org.moellava.config.DecoderStyle.QWEN2_MOE) {
      throw new org.moellava.error.InvalidInputException("text_config.decoder_style \"" + text.decoderStyle()
          + "\": the transformers LLaVA layout holds qwen2_moe decoders only");
    }
    if (config.visionConfig().visionStyle() != org.moellava.config.VisionStyle.CLIP) {
      throw new org.moellava.error.InvalidInputException("vision_config.vision_style \""
          + config.visionConfig().visionStyle() + "\": the transformers LLaVA layout here holds CLIP towers only "
          + "(a MoE-LLaVA checkpoint goes through 'moellava export moellava')");
    }
    List<Resolved> out = new ArrayList<>();
    for (Rule rule : rules) {
      for (int layer : layersOf(rule.scope(), config)) {
        String key = layer < 0 ? rule.hfKey() : rule.hfKey().replace("{i}", Integer.toString(layer));
        List<String> keys = new ArrayList<>();
        if (rule.transform() == EXPERTS_LINEAR) {
          for (int e = 0; e < text.numExperts(); e++) keys.add(key.replace("{e}", Integer.toString(e)));
        } else {
          keys.add(key);
        }
        String name = rule.projectName() == null ? null
            : layer < 0 ? rule.projectName() : rule.projectName().replace("{i}", Integer.toString(layer));
        long[] hfShape = rule.hfShape().apply(config);
        out.add(new Resolved(List.copyOf(keys), name, rule.transform(), hfShape,
            rule.transform().projectShape(hfShape, text.numExperts()), layer));
      }
    }
    return out;
  }

  /** Expands a fused-expert key template for {@code layer}. */
  public static String fusedKey(String template, int layer) {
    return template.replace("{i}", Integer.toString(layer));
  }

  /** The layers a rule of {@code scope} expands over in {@code config} ({@code -1}: once, outside any layer). */
  static List<Integer> layersOf(Scope scope, ModelConfig config) {
    TextConfig text = config.textConfig();
    List<Integer> layers = new ArrayList<>();
    switch (scope) {
      case GLOBAL -> layers.add(-1);
      case UNTIED_LM_HEAD -> {
        if (!text.tieWordEmbeddings()) layers.add(-1);
      }
      case VISION_LAYER -> {
        for (int i = 0; i < config.visionConfig().numHiddenLayers(); i++) layers.add(i);
      }
      case DECODER_LAYER -> {
        for (int i = 0; i < text.numHiddenLayers(); i++) layers.add(i);
      }
      case DENSE_LAYER -> {
        for (int i = 0; i < text.numHiddenLayers(); i++) if (!text.isMoeLayer(i)) layers.add(i);
      }
      case MOE_LAYER -> layers.addAll(text.moeLayerIndices());
    }
    return layers;
  }
}
