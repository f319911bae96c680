package org.moellava.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.ConfigException;

class ModelConfigIOTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static ObjectNode tinyJson() throws Exception {
    return (ObjectNode) JSON.readTree(ModelConfigIO.toJson(Presets.get(Presets.TINY)));
  }

  /** Applies {@code edit} to the tiny preset's JSON and returns the parse error message. */
  private static String errorAfter(Consumer<ObjectNode> edit) throws Exception {
    ObjectNode root = tinyJson();
    edit.accept(root);
    ConfigException e = assertThrows(ConfigException.class,
        () -> ModelConfigIO.parse(JSON.writeValueAsString(root), "config.json"));
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertTrue(e.getMessage().startsWith("config.json: "), e.getMessage());
    return e.getMessage();
  }

  private static ObjectNode text(ObjectNode root) {
    return (ObjectNode) root.get("text_config");
  }

  private static ObjectNode vision(ObjectNode root) {
    return (ObjectNode) root.get("vision_config");
  }

  @Test
  void everyPresetRoundTripsThroughJson() {
    for (String name : Presets.names()) {
      ModelConfig preset = Presets.get(name);
      assertEquals(preset, ModelConfigIO.parse(ModelConfigIO.toJson(preset), name));
    }
  }

  @Test
  void usesHuggingFaceKeyNames() throws Exception {
    JsonNode root = tinyJson();
    for (String key : List.of("image_token_index", "vision_feature_layer", "vision_config", "text_config")) {
      assertTrue(root.has(key), key);
    }
    for (String key : List.of("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "intermediate_size", "moe_intermediate_size", "num_experts", "num_experts_per_tok", "norm_topk_prob",
        "rope_theta", "rms_norm_eps", "vocab_size", "moe_layers", "capacity_factor", "eval_capacity_factor",
        "router_aux_loss_coef")) {
      assertTrue(root.get("text_config").has(key), key);
    }
    for (String key : List.of("hidden_size", "image_size", "patch_size", "num_hidden_layers")) {
      assertTrue(root.get("vision_config").has(key), key);
    }
    assertEquals("sparse", root.get("text_config").get("moe_layers").asText());
  }

  @Test
  void writeThenReadFromFile() {
    Path file = dir.resolve("config.json");
    ModelConfigIO.write(Presets.get(Presets.SMALL), file);
    assertEquals(Presets.get(Presets.SMALL), ModelConfigIO.read(file));
  }

  @Test
  void headsNotDividingHiddenSize() throws Exception {
    String m = errorAfter(r -> text(r).put("num_attention_heads", 3));
    assertTrue(m.contains("text_config.num_attention_heads") && m.contains("do not divide hidden_size 128"), m);
  }

  @Test
  void visionHeadsNotDividingHiddenSize() throws Exception {
    String m = errorAfter(r -> vision(r).put("num_attention_heads", 5));
    assertTrue(m.contains("vision_config.num_attention_heads"), m);
  }

  @Test
  void kvHeadsNotDividingHeads() throws Exception {
    String m = errorAfter(r -> text(r).put("num_key_value_heads", 3));
    assertTrue(m.contains("text_config.num_key_value_heads") && m.contains("do not divide num_attention_heads 4"), m);
  }

  @Test
  void topKAboveExperts() throws Exception {
    String m = errorAfter(r -> text(r).put("num_experts_per_tok", 5));
    assertTrue(m.contains("text_config.num_experts_per_tok") && m.contains("k=5 exceeds num_experts E=4"), m);
  }

  @Test
  void imageSizeNotMultipleOfPatch() throws Exception {
    String m = errorAfter(r -> vision(r).put("image_size", 60));
    assertTrue(m.contains("vision_config.image_size") && m.contains("not a multiple of patch_size 8"), m);
  }

  @Test
  void moeLayerOutOfRange() throws Exception {
    String m = errorAfter(r -> {
      ArrayNode layers = text(r).putArray("moe_layers");
      layers.add(0).add(4);
    });
    assertTrue(m.contains("text_config.moe_layers") && m.contains("layer index 4 is out of range [0, 4)"), m);
  }

  @Test
  void unknownMoePlacement() throws Exception {
    String m = errorAfter(r -> text(r).put("moe_layers", "every_third"));
    assertTrue(m.contains("text_config.moe_layers") && m.contains("every_third"), m);
  }

  @Test
  void unknownKey() throws Exception {
    String m = errorAfter(r -> text(r).put("hidden_sise", 64));
    assertEquals("config.json: unknown key 'text_config.hidden_sise'", m);
  }

  @Test
  void wrongType() throws Exception {
    String m = errorAfter(r -> text(r).put("hidden_size", "big"));
    assertTrue(m.contains("text_config.hidden_size") && m.contains("wrong type") && m.contains("integer"), m);
  }

  @Test
  void fractionalIntegerIsWrongType() throws Exception {
    String m = errorAfter(r -> vision(r).put("patch_size", 7.5));
    assertTrue(m.contains("vision_config.patch_size"), m);
  }

  @Test
  void missingKey() throws Exception {
    String m = errorAfter(r -> text(r).remove("rope_theta"));
    assertEquals("config.json: missing key 'text_config.rope_theta'", m);
  }

  @Test
  void imageTokenOutsideVocabulary() throws Exception {
    String m = errorAfter(r -> r.put("image_token_index", 128));
    assertTrue(m.contains("image_token_index") && m.contains("vocab_size=128"), m);
  }

  @Test
  void invalidJson() {
    ConfigException e = assertThrows(ConfigException.class, () -> ModelConfigIO.parse("{\"model_type\": ", "c.json"));
    assertTrue(e.getMessage().startsWith("c.json: invalid JSON at line 1"), e.getMessage());
  }

  @Test
  void missingFile() {
    Path missing = dir.resolve("nope.json");
    ConfigException e = assertThrows(ConfigException.class, () -> ModelConfigIO.read(missing));
    assertEquals(missing + ": config file not found", e.getMessage());
  }

  @Test
  void unknownPreset() {
    ConfigException e = assertThrows(ConfigException.class, () -> Presets.resolve("huge"));
    assertTrue(e.getMessage().contains("huge"), e.getMessage());
  }

  @Test
  void failedWriteLeavesNoFile() throws Exception {
    Path blocker = dir.resolve("file");
    Files.writeString(blocker, "x");
    Path target = blocker.resolve("config.json"); // parent is a regular file
    assertThrows(RuntimeException.class, () -> ModelConfigIO.write(Presets.get(Presets.TINY), target));
    assertEquals("x", Files.readString(blocker));
  }

  private static final List<String> ARCHITECTURE_KEYS = List.of("decoder_style", "norm_type", "norm_bias", "qkv_bias",
      "o_proj_bias", "partial_rotary_factor", "parallel_residual", "mlp_type", "mlp_bias", "lm_head_bias");

  @Test
  void configWithoutArchitectureFieldsReadsAsQwen2Moe() throws Exception {
    ObjectNode root = tinyJson();
    for (String key : ARCHITECTURE_KEYS) {
      assertTrue(text(root).has(key), "written explicitly: " + key);
      text(root).remove(key);
    }
    ModelConfig read = ModelConfigIO.parse(JSON.writeValueAsString(root), "old.json");
    assertEquals(Presets.get(Presets.TINY), read);
    assertEquals(DecoderStyle.QWEN2_MOE.defaults(), read.textConfig().architecture());
  }

  @Test
  void absentArchitectureFieldsTakeTheStylesValues() throws Exception {
    ObjectNode root = tinyJson();
    ARCHITECTURE_KEYS.forEach(text(root)::remove);
    text(root).put("decoder_style", "phi").put("hidden_act", "gelu_new").put("partial_rotary_factor", 0.5);
    TextConfig t = ModelConfigIO.parse(JSON.writeValueAsString(root), "phi.json").textConfig();
    assertEquals(DecoderStyle.PHI.defaults().withPartialRotaryFactor(0.5), t.architecture());
    assertEquals(16, t.rotaryDim());

    root = tinyJson();
    ARCHITECTURE_KEYS.forEach(text(root)::remove);
    text(root).put("decoder_style", "stablelm");
    t = ModelConfigIO.parse(JSON.writeValueAsString(root), "stablelm.json").textConfig();
    assertEquals(DecoderStyle.STABLELM.defaults(), t.architecture());
    assertEquals(8, t.rotaryDim(), "int(32 x 0.25)");
  }

  @Test
  void everyStyleRoundTripsThroughJson() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    for (DecoderStyle style : DecoderStyle.values()) {
      TextConfig t = tiny.textConfig().withStyle(style);
      if (style == DecoderStyle.QWEN) t = withKvHeads(t, t.numAttentionHeads());
      if (style == DecoderStyle.PHI) t = t.withArchitecture(t.architecture().withPartialRotaryFactor(0.5));
      ModelConfig config = ConfigValidator.validate(tiny.withTextConfig(t), style.id());
      assertEquals(config, ModelConfigIO.parse(ModelConfigIO.toJson(config), style.id()), style.id());
    }
  }

  private static TextConfig withKvHeads(TextConfig t, int kv) {
    return new TextConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize(), t.moeIntermediateSize(),
        t.numHiddenLayers(), t.numAttentionHeads(), kv, t.maxPositionEmbeddings(), t.ropeTheta(), t.rmsNormEps(),
        t.hiddenAct(), t.tieWordEmbeddings(), t.numExperts(), t.numExpertsPerTok(), t.normTopkProb(), t.moeLayers(),
        t.capacityFactor(), t.evalCapacityFactor(), t.routerAuxLossCoef(), t.routerGumbelNoise(), t.padTokenId(),
        t.eosTokenId(), t.architecture());
  }

  /** text_config with the architecture fields removed and {@code decoder_style} set. */
  private static ObjectNode fresh(ObjectNode root, String style) {
    ARCHITECTURE_KEYS.forEach(text(root)::remove);
    return text(root).put("decoder_style", style);
  }

  @Test
  void unknownDecoderStyle() throws Exception {
    String m = errorAfter(r -> text(r).put("decoder_style", "llama"));
    assertTrue(m.contains("text_config.decoder_style") && m.contains("'llama'")
        && m.contains("qwen2_moe, stablelm, phi or qwen"), m);
  }

  @Test
  void unknownNormAndMlpTypes() throws Exception {
    String m = errorAfter(r -> text(r).put("norm_type", "batch_norm"));
    assertTrue(m.contains("text_config.norm_type") && m.contains("'batch_norm'"), m);
    m = errorAfter(r -> text(r).put("mlp_type", "geglu"));
    assertTrue(m.contains("text_config.mlp_type") && m.contains("'geglu'"), m);
  }

  @Test
  void styleFixesItsFamilysFields() throws Exception {
    String m = errorAfter(r -> fresh(r, "stablelm").put("parallel_residual", true));
    assertEquals("config.json: text_config.parallel_residual: decoder_style \"stablelm\" fixes it to false, got true", m);
    m = errorAfter(r -> text(r).put("o_proj_bias", true));
    assertTrue(m.contains("text_config.o_proj_bias") && m.contains("\"qwen2_moe\" fixes it to false"), m);
    m = errorAfter(r -> fresh(r, "phi").put("hidden_act", "gelu_new")
        .put("partial_rotary_factor", 0.5).put("mlp_bias", false));
    assertTrue(m.contains("text_config.mlp_bias") && m.contains("\"phi\" fixes it to true"), m);
    m = errorAfter(r -> fresh(r, "qwen"));
    assertTrue(m.contains("text_config.num_key_value_heads") && m.contains("no grouped-query attention"), m);
  }

  @Test
  void architectureFieldsAreCheckedOnTheirOwn() throws Exception {
    String m = errorAfter(r -> text(r).put("norm_bias", true));
    assertTrue(m.contains("text_config.norm_bias") && m.contains("only layer_norm has a bias"), m);
    m = errorAfter(r -> fresh(r, "phi").put("hidden_act", "silu"));
    assertTrue(m.contains("text_config.hidden_act") && m.contains("for mlp_type fc"), m);
    m = errorAfter(r -> fresh(r, "stablelm").put("partial_rotary_factor", 0.0));
    assertTrue(m.contains("text_config.partial_rotary_factor") && m.contains("(0, 1]"), m);
    m = errorAfter(r -> fresh(r, "stablelm").put("partial_rotary_factor", 0.1));
    assertTrue(m.contains("text_config.partial_rotary_factor") && m.contains("int(head_dim 32 x 0.1) = 3"), m);
    m = errorAfter(r -> text(r).put("qkv_bias", "yes"));
    assertTrue(m.contains("text_config.qkv_bias") && m.contains("wrong type"), m);
  }

  /** Configs written before vision_style and min_capacity existed read as CLIP with no capacity floor. */
  @Test
  void configWithoutVisionStyleOrMinCapacityReadsAsBefore() throws Exception {
    ObjectNode root = tinyJson();
    assertEquals("clip", vision(root).get("vision_style").asText(), "written explicitly");
    assertEquals(0, text(root).get("min_capacity").asInt(), "written explicitly");
    vision(root).remove("vision_style");
    text(root).remove("min_capacity");
    ModelConfig read = ModelConfigIO.parse(JSON.writeValueAsString(root), "old.json");
    assertEquals(Presets.get(Presets.TINY), read);
    assertEquals(VisionStyle.CLIP, read.visionConfig().visionStyle());
    assertEquals(0, read.textConfig().minCapacity());
  }

  @Test
  void siglipTowerAndMinCapacityRoundTripThroughJson() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig v = tiny.visionConfig();
    VisionConfig siglip = new VisionConfig(v.hiddenSize(), v.intermediateSize(), v.numHiddenLayers(),
        v.numAttentionHeads(), 3, v.imageSize(), v.patchSize(), 1e-6, "gelu_pytorch_tanh", VisionStyle.SIGLIP);
    ModelConfig config = ConfigValidator.validate(new ModelConfig("llava", tiny.imageTokenIndex(),
        tiny.visionFeatureLayer(), "gelu", siglip, tiny.textConfig().withMinCapacity(4), VisionStyle.SIGLIP.imageMean(),
        VisionStyle.SIGLIP.imageStd(), "pad", tiny.training()), "siglip");
    ModelConfig again = ModelConfigIO.parse(ModelConfigIO.toJson(config), "siglip");
    assertEquals(config, again);
    assertEquals(4, again.textConfig().minCapacity());
    assertEquals(siglip.gridPatches() - 1, again.visionConfig().numPatches(), "the first patch is dropped");
    assertEquals(4, again.textConfig().withStyle(DecoderStyle.STABLELM).minCapacity(), "kept by with* copies");
  }

  @Test
  void visionStyleAndMinCapacityAreChecked() throws Exception {
    String m = errorAfter(r -> vision(r).put("vision_style", "dino"));
    assertTrue(m.contains("vision_config.vision_style") && m.contains("'dino'") && m.contains("clip or siglip"), m);
    m = errorAfter(r -> vision(r).put("vision_style", "siglip"));
    assertTrue(m.contains("vision_config.hidden_act") && m.contains("for vision_style siglip")
        && m.contains("gelu_pytorch_tanh"), m);
    m = errorAfter(r -> vision(r).put("hidden_act", "gelu_pytorch_tanh"));
    assertTrue(m.contains("vision_config.hidden_act") && m.contains("for vision_style clip"), m);
    m = errorAfter(r -> {
      vision(r).put("vision_style", "siglip").put("hidden_act", "gelu_pytorch_tanh");
      r.put("image_aspect_mode", "crop");
    });
    assertTrue(m.contains("image_aspect_mode") && m.contains("vision_style siglip needs \"pad\""), m);
    m = errorAfter(r -> text(r).put("min_capacity", -1));
    assertTrue(m.contains("text_config.min_capacity") && m.contains(">= 0"), m);
  }
}
