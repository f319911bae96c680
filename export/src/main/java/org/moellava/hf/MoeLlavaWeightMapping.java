package org.moellava.hf;

import static org.moellava.hf.HfTransform.AS_IS;
import static org.moellava.hf.HfTransform.EXPERTS_LINEAR;
import static org.moellava.hf.HfTransform.EXPERTS_STACK;
import static org.moellava.hf.HfTransform.LINEAR;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionStyle;
import org.moellava.graph.variables.VariableNames;
import org.moellava.hf.HfWeightMapping.Scope;

/**
 * THE mapping between the published MoE-LLaVA checkpoints' tensor keys (StableLM-2, Phi-2, Qwen-1 families, with
 * DeepSpeed MoE layers) and the project's variable names, one table per family.
 *
 * <p>Keys: vision tower {@code <p>image_tower.image_tower.vision_model.*} (CLIP or SigLIP, transformers-4 names), projector
 * {@code <p>mm_projector.image_spatial_proj.{0,2}}, MoE router {@code ...mlp.deepspeed_moe.gate.wg.weight [E, D]},
 * experts {@code ...mlp.deepspeed_moe.experts.deepspeed_experts.{e}.<the family's MLP names>}; {@code <p>} is
 * {@code model.} or {@code transformer.} (Qwen). Qwen's fused {@code attn.c_attn} ({@code [3D, D]}, rows q, k, v) is
 * three project kernels, each a {@linkplain Rule#parts() part} of it; its {@code mlp.w2} is SwiGLU's gate and
 * {@code mlp.w1} the up projection.
 */
final class MoeLlavaWeightMapping {
  private MoeLlavaWeightMapping() {}

  /**
   * One row of a family's table.
   *
   * @param scope which layers it repeats over
   * @param hfKey key template ({@code {i}} layer, {@code {e}} expert)
   * @param projectName variable name template
   * @param transform layout conversion
   * @param hfShape the checkpoint's shape (per expert; the whole fused tensor for a part)
   * @param when whether the config has this tensor
   * @param part which of {@code parts} equal row blocks of the tensor this variable is (0 of 1: all of it)
   * @param parts how many variables share the tensor
   */
  record Rule(Scope scope, String hfKey, String projectName, HfTransform transform,
      Function<ModelConfig, long[]> hfShape, Predicate<ModelConfig> when, int part, int parts) {}

  /**
   * A rule applied to one layer.
   *
   * @param hfKeys the checkpoint keys (one, or one per expert)
   * @param hfShape the checkpoint shape of each key
   * @param projectShape the variable's shape
   */
  record Resolved(List<String> hfKeys, String projectName, HfTransform transform, long[] hfShape,
      long[] projectShape, int layer, int part, int parts) {}

  private static long[] dims(long... d) {
    return d;
  }

  private static Rule rule(Scope scope, String hfKey, String projectName, HfTransform transform,
      Function<ModelConfig, long[]> hfShape) {
    return new Rule(scope, hfKey, projectName, transform, hfShape, c -> true, 0, 1);
  }

  private static Rule when(Predicate<TextConfig> when, Rule r) {
    return whenConfig(c -> when.test(c.textConfig()), r);
  }

  private static Rule whenConfig(Predicate<ModelConfig> when, Rule r) {
    return new Rule(r.scope(), r.hfKey(), r.projectName(), r.transform(), r.hfShape(), when, r.part(), r.parts());
  }

  private static boolean siglip(ModelConfig c) {
    return c.visionConfig().visionStyle() == VisionStyle.SIGLIP;
  }

  private static long dv(ModelConfig c) {
    return c.visionConfig().hiddenSize();
  }

  private static Rule part(int part, int parts, Rule r) {
    return new Rule(r.scope(), r.hfKey(), r.projectName(), r.transform(), r.hfShape(), r.when(), part, parts);
  }

  private static final String DEC = VariableNames.decoderLayer(0).replace("0", "{i}");
  private static final String MOE = "mlp.deepspeed_moe.";
  private static final String EXPERT = MOE + "experts.deepspeed_experts.{e}.";

  private static long d(ModelConfig c) {
    return c.textConfig().hiddenSize();
  }

  private static long q(ModelConfig c) {
    return (long) c.textConfig().numAttentionHeads() * c.textConfig().headDim();
  }

  private static long kv(ModelConfig c) {
    return (long) c.textConfig().numKeyValueHeads() * c.textConfig().headDim();
  }

  private static long inter(ModelConfig c) {
    return c.textConfig().intermediateSize();
  }

  private static long moeInter(ModelConfig c) {
    return c.textConfig().moeIntermediateSize();
  }

  private static long vocab(ModelConfig c) {
    return c.textConfig().vocabSize();
  }

  private static long experts(ModelConfig c) {
    return c.textConfig().numExperts();
  }

  /**
   * The vision tower and the projector, under {@code prefix}. The tower's rows are {@link HfWeightMapping}'s CLIP rows
   * under {@code <prefix>image_tower.image_tower.vision_model.}; for a SigLIP tower ({@code vision_style siglip}),
   * without the class embedding and {@code pre_layrnorm}, with the patch convolution's bias and the (unused)
   * attention-pooling {@code head.*}.
   */
  private static List<Rule> visionAndProjector(String prefix) {
    List<Rule> out = new ArrayList<>();
    String tower = prefix + "image_tower.image_tower.vision_model.";
    for (HfWeightMapping.Rule r : HfWeightMapping.RULES) {
      if (!r.hfKey().startsWith("vision_tower.")) continue;
      Rule mapped = rule(r.scope(), tower + r.hfKey().substring("vision_tower.".length()), r.projectName(),
          r.transform(), r.hfShape());
      boolean clipOnly = r.projectName().equals(VariableNames.CLASS_EMBEDDING)
          || r.projectName().startsWith(VariableNames.PRE_LAYERNORM + "/");
      out.add(clipOnly ? whenConfig(c -> !siglip(c), mapped) : mapped);
    }
    String e = tower + "embeddings.";
    String h = tower + "head.";
    String ph = VariableNames.VISION_HEAD;
    out.add(whenConfig(MoeLlavaWeightMapping::siglip, rule(Scope.GLOBAL, e + "patch_embedding.bias",
        VariableNames.PATCH_EMBEDDING_BIAS, AS_IS, c -> dims(dv(c)))));
    List<Rule> head = new ArrayList<>();
    head.add(rule(Scope.GLOBAL, h + "probe", ph + "/probe", AS_IS, c -> dims(1, 1, dv(c))));
    head.add(rule(Scope.GLOBAL, h + "attention.in_proj_weight", ph + "/attention/in_proj/kernel", LINEAR,
        c -> dims(3 * dv(c), dv(c))));
    head.add(rule(Scope.GLOBAL, h + "attention.in_proj_bias", ph + "/attention/in_proj/bias", AS_IS,
        c -> dims(3 * dv(c))));
    head.add(rule(Scope.GLOBAL, h + "attention.out_proj.weight", ph + "/attention/out_proj/kernel", LINEAR,
        c -> dims(dv(c), dv(c))));
    head.add(rule(Scope.GLOBAL, h + "attention.out_proj.bias", ph + "/attention/out_proj/bias", AS_IS,
        c -> dims(dv(c))));
    head.add(rule(Scope.GLOBAL, h + "layernorm.weight", ph + "/layernorm/gamma", AS_IS, c -> dims(dv(c))));
    head.add(rule(Scope.GLOBAL, h + "layernorm.bias", ph + "/layernorm/beta", AS_IS, c -> dims(dv(c))));
    head.add(rule(Scope.GLOBAL, h + "mlp.fc1.weight", ph + "/mlp/fc1/kernel", LINEAR,
        c -> dims(c.visionConfig().intermediateSize(), dv(c))));
    head.add(rule(Scope.GLOBAL, h + "mlp.fc1.bias", ph + "/mlp/fc1/bias", AS_IS,
        c -> dims(c.visionConfig().intermediateSize())));
    head.add(rule(Scope.GLOBAL, h + "mlp.fc2.weight", ph + "/mlp/fc2/kernel", LINEAR,
        c -> dims(dv(c), c.visionConfig().intermediateSize())));
    head.add(rule(Scope.GLOBAL, h + "mlp.fc2.bias", ph + "/mlp/fc2/bias", AS_IS, c -> dims(dv(c))));
    head.forEach(r -> out.add(whenConfig(MoeLlavaWeightMapping::siglip, r)));
    String proj = prefix + "mm_projector.image_spatial_proj.";
    out.add(rule(Scope.GLOBAL, proj + "0.weight", VariableNames.PROJECTOR_LINEAR_1 + "/kernel", LINEAR,
        c -> dims(d(c), c.visionConfig().hiddenSize())));
    out.add(rule(Scope.GLOBAL, proj + "0.bias", VariableNames.PROJECTOR_LINEAR_1 + "/bias", AS_IS, c -> dims(d(c))));
    out.add(rule(Scope.GLOBAL, proj + "2.weight", VariableNames.PROJECTOR_LINEAR_2 + "/kernel", LINEAR,
        c -> dims(d(c), d(c))));
    out.add(rule(Scope.GLOBAL, proj + "2.bias", VariableNames.PROJECTOR_LINEAR_2 + "/bias", AS_IS, c -> dims(d(c))));
    return out;
  }

  /** Rows of a LayerNorm with bias: weight and bias. */
  private static List<Rule> layerNorm(Scope scope, String hf, String project) {
    return List.of(rule(scope, hf + ".weight", project + "/gamma", AS_IS, c -> dims(d(c))),
        rule(scope, hf + ".bias", project + "/beta", AS_IS, c -> dims(d(c))));
  }

  private static List<Rule> stablelm() {
    String p = "model.";
    String l = p + "layers.{i}.";
    List<Rule> out = new ArrayList<>(visionAndProjector(p));
    out.add(rule(Scope.GLOBAL, p + "embed_tokens.weight", VariableNames.EMBED_TOKENS, AS_IS,
        c -> dims(vocab(c), d(c))));
    out.addAll(layerNorm(Scope.GLOBAL, p + "norm", VariableNames.FINAL_NORM));
    out.add(rule(Scope.UNTIED_LM_HEAD, "lm_head.weight", VariableNames.LM_HEAD_KERNEL, LINEAR,
        c -> dims(vocab(c), d(c))));
    out.addAll(layerNorm(Scope.DECODER_LAYER, l + "input_layernorm", DEC + "/input_layernorm"));
    out.addAll(layerNorm(Scope.DECODER_LAYER, l + "post_attention_layernorm", DEC + "/post_attention_layernorm"));
    attention(out, l + "self_attn.", "o_proj");
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.gate_proj.weight", DEC + "/mlp/gate_proj/kernel", LINEAR,
        c -> dims(inter(c), d(c))));
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.up_proj.weight", DEC + "/mlp/up_proj/kernel", LINEAR,
        c -> dims(inter(c), d(c))));
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.down_proj.weight", DEC + "/mlp/down_proj/kernel", LINEAR,
        c -> dims(d(c), inter(c))));
    router(out, l);
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "gate_proj.weight", DEC + "/mlp/experts/gate_proj", EXPERTS_LINEAR,
        c -> dims(moeInter(c), d(c))));
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "up_proj.weight", DEC + "/mlp/experts/up_proj", EXPERTS_LINEAR,
        c -> dims(moeInter(c), d(c))));
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "down_proj.weight", DEC + "/mlp/experts/down_proj", EXPERTS_LINEAR,
        c -> dims(d(c), moeInter(c))));
    return out;
  }

  private static void attention(List<Rule> out, String a, String oName) {
    out.add(rule(Scope.DECODER_LAYER, a + "q_proj.weight", DEC + "/self_attn/q_proj/kernel", LINEAR,
        c -> dims(q(c), d(c))));
    out.add(when(TextConfig::qkvBias, rule(Scope.DECODER_LAYER, a + "q_proj.bias", DEC + "/self_attn/q_proj/bias",
        AS_IS, c -> dims(q(c)))));
    out.add(rule(Scope.DECODER_LAYER, a + "k_proj.weight", DEC + "/self_attn/k_proj/kernel", LINEAR,
        c -> dims(kv(c), d(c))));
    out.add(when(TextConfig::qkvBias, rule(Scope.DECODER_LAYER, a + "k_proj.bias", DEC + "/self_attn/k_proj/bias",
        AS_IS, c -> dims(kv(c)))));
    out.add(rule(Scope.DECODER_LAYER, a + "v_proj.weight", DEC + "/self_attn/v_proj/kernel", LINEAR,
        c -> dims(kv(c), d(c))));
    out.add(when(TextConfig::qkvBias, rule(Scope.DECODER_LAYER, a + "v_proj.bias", DEC + "/self_attn/v_proj/bias",
        AS_IS, c -> dims(kv(c)))));
    out.add(rule(Scope.DECODER_LAYER, a + oName + ".weight", DEC + "/self_attn/o_proj/kernel", LINEAR,
        c -> dims(d(c), q(c))));
    out.add(when(TextConfig::oProjBias, rule(Scope.DECODER_LAYER, a + oName + ".bias", DEC + "/self_attn/o_proj/bias",
        AS_IS, c -> dims(d(c)))));
  }

  private static void router(List<Rule> out, String l) {
    out.add(rule(Scope.MOE_LAYER, l + MOE + "gate.wg.weight", DEC + "/mlp/gate/kernel", LINEAR,
        c -> dims(experts(c), d(c))));
  }

  private static List<Rule> phi() {
    String p = "model.";
    String l = p + "layers.{i}.";
    List<Rule> out = new ArrayList<>(visionAndProjector(p));
    out.add(rule(Scope.GLOBAL, p + "embed_tokens.weight", VariableNames.EMBED_TOKENS, AS_IS,
        c -> dims(vocab(c), d(c))));
    out.addAll(layerNorm(Scope.GLOBAL, p + "final_layernorm", VariableNames.FINAL_NORM));
    out.add(rule(Scope.UNTIED_LM_HEAD, "lm_head.weight", VariableNames.LM_HEAD_KERNEL, LINEAR,
        c -> dims(vocab(c), d(c))));
    out.add(when(TextConfig::lmHeadBias, rule(Scope.GLOBAL, "lm_head.bias", VariableNames.LM_HEAD_BIAS, AS_IS,
        c -> dims(vocab(c)))));
    out.addAll(layerNorm(Scope.DECODER_LAYER, l + "input_layernorm", DEC + "/input_layernorm"));
    attention(out, l + "self_attn.", "dense");
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.fc1.weight", DEC + "/mlp/fc1/kernel", LINEAR,
        c -> dims(inter(c), d(c))));
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.fc1.bias", DEC + "/mlp/fc1/bias", AS_IS, c -> dims(inter(c))));
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.fc2.weight", DEC + "/mlp/fc2/kernel", LINEAR,
        c -> dims(d(c), inter(c))));
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.fc2.bias", DEC + "/mlp/fc2/bias", AS_IS, c -> dims(d(c))));
    router(out, l);
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "fc1.weight", DEC + "/mlp/experts/fc1", EXPERTS_LINEAR,
        c -> dims(moeInter(c), d(c))));
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "fc1.bias", DEC + "/mlp/experts/fc1_bias", EXPERTS_STACK,
        c -> dims(moeInter(c))));
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "fc2.weight", DEC + "/mlp/experts/fc2", EXPERTS_LINEAR,
        c -> dims(d(c), moeInter(c))));
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "fc2.bias", DEC + "/mlp/experts/fc2_bias", EXPERTS_STACK,
        c -> dims(d(c))));
    return out;
  }

  private static List<Rule> qwen() {
    String p = "transformer.";
    String l = p + "h.{i}.";
    List<Rule> out = new ArrayList<>(visionAndProjector(p));
    out.add(rule(Scope.GLOBAL, p + "wte.weight", VariableNames.EMBED_TOKENS, AS_IS, c -> dims(vocab(c), d(c))));
    out.add(rule(Scope.GLOBAL, p + "ln_f.weight", VariableNames.FINAL_NORM + "/gamma", AS_IS, c -> dims(d(c))));
    out.add(rule(Scope.UNTIED_LM_HEAD, "lm_head.weight", VariableNames.LM_HEAD_KERNEL, LINEAR,
        c -> dims(vocab(c), d(c))));
    out.add(rule(Scope.DECODER_LAYER, l + "ln_1.weight", DEC + "/input_layernorm/gamma", AS_IS, c -> dims(d(c))));
    out.add(rule(Scope.DECODER_LAYER, l + "ln_2.weight", DEC + "/post_attention_layernorm/gamma", AS_IS,
        c -> dims(d(c))));
    String[] qkv = {"q_proj", "k_proj", "v_proj"};
    for (int i = 0; i < 3; i++) {
      out.add(part(i, 3, rule(Scope.DECODER_LAYER, l + "attn.c_attn.weight", DEC + "/self_attn/" + qkv[i] + "/kernel",
          LINEAR, c -> dims(3 * d(c), d(c)))));
      out.add(part(i, 3, rule(Scope.DECODER_LAYER, l + "attn.c_attn.bias", DEC + "/self_attn/" + qkv[i] + "/bias",
          AS_IS, c -> dims(3 * d(c)))));
    }
    out.add(rule(Scope.DECODER_LAYER, l + "attn.c_proj.weight", DEC + "/self_attn/o_proj/kernel", LINEAR,
        c -> dims(d(c), d(c))));
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.w2.weight", DEC + "/mlp/gate_proj/kernel", LINEAR,
        c -> dims(inter(c), d(c))));
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.w1.weight", DEC + "/mlp/up_proj/kernel", LINEAR,
        c -> dims(inter(c), d(c))));
    out.add(rule(Scope.DENSE_LAYER, l + "mlp.c_proj.weight", DEC + "/mlp/down_proj/kernel", LINEAR,
        c -> dims(d(c), inter(c))));
    router(out, l);
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "w2.weight", DEC + "/mlp/experts/gate_proj", EXPERTS_LINEAR,
        c -> dims(moeInter(c), d(c))));
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "w1.weight", DEC + "/mlp/experts/up_proj", EXPERTS_LINEAR,
        c -> dims(moeInter(c), d(c))));
    out.add(rule(Scope.MOE_LAYER, l + EXPERT + "c_proj.weight", DEC + "/mlp/experts/down_proj", EXPERTS_LINEAR,
        c -> dims(d(c), moeInter(c))));
    return out;
  }

  /** The table of {@code family}. */
  static List<Rule> rules(MoeLlavaFamily family) {
    return switch (family) {
      case STABLELM -> stablelm();
      case PHI -> phi();
      case QWEN -> qwen();
    };
  }

  /** The table of {@code family} expanded for {@code config}, in table order. */
  static List<Resolved> resolve(MoeLlavaFamily family, ModelConfig config) {
    TextConfig text = config.textConfig();
    List<Resolved> out = new ArrayList<>();
    for (Rule rule : rules(family)) {
      if (!rule.when().test(config)) continue;
      for (int layer : HfWeightMapping.layersOf(rule.scope(), config)) {
        String key = layer < 0 ? rule.hfKey() : rule.hfKey().replace("{i}", Integer.toString(layer));
        List<String> keys = new ArrayList<>();
        if (rule.transform() == EXPERTS_LINEAR || rule.transform() == EXPERTS_STACK) {
          for (int e = 0; e < text.numExperts(); e++) keys.add(key.replace("{e}", Integer.toString(e)));
        } else {
          keys.add(key);
        }
        String name = layer < 0 ? rule.projectName() : rule.projectName().replace("{i}", Integer.toString(layer));
        long[] hfShape = rule.hfShape().apply(config);
        long[] partShape = hfShape.clone();
        partShape[0] /= rule.parts();
        out.add(new Resolved(List.copyOf(keys), name, rule.transform(), hfShape,
            rule.transform().projectShape(partShape, text.numExperts()), layer, rule.part(), rule.parts()));
      }
    }
    return out;
  }

  /** Whether {@code key} belongs to the vision tower of {@code family}. */
  static boolean isTowerKey(MoeLlavaFamily family, String key) {
    return key.startsWith(family.prefix() + "image_tower.");
  }
}
