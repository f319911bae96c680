package org.moellava.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.DecoderStyle;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.graph.variables.VariableNames;
import org.moellava.tensor.TensorValue;
import org.moellava.text.Tokenizer;

/**
 * The published MoE-LLaVA layouts (fixtures {@code moellava-{stablelm,phi,qwen}}): import maps every key to the
 * project's variables in the right layout; export after import writes every tensor back bit for bit (dtype, file,
 * bytes), the same config.json fields and the same tokenizer files.
 */
class MoeLlavaImportExportTest {
  @TempDir Path tmp;

  private Path importFixture(String family) {
    Path fixture = MoeLlavaFixtures.fixture(family);
    Path ckpt = tmp.resolve("ckpt-" + family);
    new MoeLlavaImporter().importTo(fixture, MoeLlavaFixtures.visionDir(fixture, tmp.resolve("vision-" + family)),
        ckpt);
    return ckpt;
  }

  @Test
  void stablelmConfigAndLayouts() {
    CheckpointReader reader = CheckpointReader.open(importFixture("stablelm"));
    ModelConfig config = reader.config();
    TextConfig t = config.textConfig();
    assertEquals(DecoderStyle.STABLELM, t.decoderStyle());
    assertEquals(List.of(1, 3), t.moeLayerIndices(), "moe_layers_idx, not moe_mode");
    assertEquals(4, t.rotaryDim(), "rope_pct 0.25 of head_dim 16");
    assertTrue(t.qkvBias());
    assertEquals(1e-5, t.rmsNormEps());
    assertEquals(351, config.imageTokenIndex(), "vocab_size - 1");
    assertEquals(2.0, t.evalCapacityFactor());
    assertTrue(t.normTopkProb(), "top-2: renormalised");
    assertEquals(32, config.visionConfig().hiddenSize());
    Map<String, MoeLlavaFixtures.Raw> hf = MoeLlavaFixtures.tensors(MoeLlavaFixtures.fixture("stablelm"));
    Map<String, TensorValue> vars = reader.readVariables();
    // expert 2's up_proj [I=128, D=64] -> stacked [E, D, I]
    MoeLlavaFixtures.Raw up = hf.get("model.layers.3.mlp.deepspeed_moe.experts.deepspeed_experts.2.up_proj.weight");
    TensorValue stacked = vars.get(VariableNames.expertsUp(3));
    assertArrayEquals(new long[] {4, 64, 128}, stacked.shape());
    for (int[] io : new int[][] {{0, 0}, {5, 100}, {63, 127}}) {
      assertEquals(MoeLlavaFixtures.value(up, io[1] * 64 + io[0]), stacked.data()[(2 * 64 + io[0]) * 128 + io[1]]);
    }
    // router wg [E, D] -> [D, E]
    MoeLlavaFixtures.Raw wg = hf.get("model.layers.1.mlp.deepspeed_moe.gate.wg.weight");
    assertEquals(MoeLlavaFixtures.value(wg, 3 * 64 + 10), vars.get(VariableNames.routerKernel(1)).data()[10 * 4 + 3]);
    // final LayerNorm bias, the tower's patch conv and the projector
    assertEquals(MoeLlavaFixtures.value(hf.get("model.norm.bias"), 7), vars.get(VariableNames.FINAL_NORM + "/beta").data()[7]);
    assertTrue(vars.containsKey(VariableNames.PATCH_EMBEDDING_KERNEL));
    assertEquals(MoeLlavaFixtures.value(hf.get("model.mm_projector.image_spatial_proj.2.bias"), 9),
        vars.get(VariableNames.PROJECTOR_LINEAR_2 + "/bias").data()[9]);
  }

  @Test
  void phiParallelLayerFcExpertsAndBiases() {
    CheckpointReader reader = CheckpointReader.open(importFixture("phi"));
    TextConfig t = reader.config().textConfig();
    assertEquals(DecoderStyle.PHI, t.decoderStyle());
    assertEquals(6, t.rotaryDim(), "int(0.4 x 16)");
    assertFalse(t.lmHeadBias(), "MoE-LLaVA's Phi class has no lm_head bias");
    assertEquals("gelu_new", t.hiddenAct());
    assertEquals(List.of(0, 2), t.moeLayerIndices());
    Map<String, MoeLlavaFixtures.Raw> hf = MoeLlavaFixtures.tensors(MoeLlavaFixtures.fixture("phi"));
    Map<String, TensorValue> vars = reader.readVariables();
    MoeLlavaFixtures.Raw b1 = hf.get("model.layers.2.mlp.deepspeed_moe.experts.deepspeed_experts.3.fc1.bias");
    assertEquals(MoeLlavaFixtures.value(b1, 17), vars.get(VariableNames.expertsFc1Bias(2)).data()[3 * 128 + 17]);
    MoeLlavaFixtures.Raw dense = hf.get("model.layers.1.self_attn.dense.bias");
    assertEquals(MoeLlavaFixtures.value(dense, 5),
        vars.get(VariableNames.decoderLayer(1) + "/self_attn/o_proj/bias").data()[5]);
    assertFalse(vars.containsKey(VariableNames.decoderLayer(0) + "/post_attention_layernorm/gamma"));
  }

  @Test
  void qwenFusedAttentionAndMlpNamesFromBf16Shards() {
    CheckpointReader reader = CheckpointReader.open(importFixture("qwen"));
    TextConfig t = reader.config().textConfig();
    assertEquals(DecoderStyle.QWEN, t.decoderStyle());
    assertEquals(128, t.intermediateSize(), "intermediate_size 256 / 2");
    assertEquals(8192, t.maxPositionEmbeddings(), "seq_length with use_dynamic_ntk/use_logn_attn");
    assertEquals(1e-6, t.rmsNormEps());
    Map<String, MoeLlavaFixtures.Raw> hf = MoeLlavaFixtures.tensors(MoeLlavaFixtures.fixture("qwen"));
    assertEquals("BF16", hf.get("transformer.h.0.attn.c_attn.weight").dtype());
    Map<String, TensorValue> vars = reader.readVariables();
    // c_attn [3D, D]: rows 64..127 are k; kernel [in, out]
    MoeLlavaFixtures.Raw cAttn = hf.get("transformer.h.2.attn.c_attn.weight");
    TensorValue k = vars.get(VariableNames.decoderLayer(2) + "/self_attn/k_proj/kernel");
    assertArrayEquals(new long[] {64, 64}, k.shape());
    assertEquals(MoeLlavaFixtures.value(cAttn, (64 + 9) * 64 + 30), k.data()[30 * 64 + 9]);
    MoeLlavaFixtures.Raw cAttnBias = hf.get("transformer.h.2.attn.c_attn.bias");
    assertEquals(MoeLlavaFixtures.value(cAttnBias, 128 + 4),
        vars.get(VariableNames.decoderLayer(2) + "/self_attn/v_proj/bias").data()[4]);
    // mlp: w2 is the gate (silu side), w1 the up projection
    MoeLlavaFixtures.Raw w2 = hf.get("transformer.h.0.mlp.w2.weight"); // [128, 64]
    assertEquals(MoeLlavaFixtures.value(w2, 11 * 64 + 3), vars.get(VariableNames.denseGate(0)).data()[3 * 128 + 11]);
    MoeLlavaFixtures.Raw w1 = hf.get("transformer.h.1.mlp.deepspeed_moe.experts.deepspeed_experts.0.w1.weight");
    assertEquals(MoeLlavaFixtures.value(w1, 7 * 64 + 2), vars.get(VariableNames.expertsUp(1)).data()[2 * 128 + 7]);
  }

  /** The -384 variant's SigLIP tower: style, P = 16 - 1, SigLIP's mean/std, the patch bias and the unused head. */
  @Test
  void siglipTowerConfigAndLayouts() {
    CheckpointReader reader = CheckpointReader.open(importFixture("phi-siglip"));
    ModelConfig config = reader.config();
    org.moellava.config.VisionConfig v = config.visionConfig();
    assertEquals(org.moellava.config.VisionStyle.SIGLIP, v.visionStyle());
    assertEquals("gelu_pytorch_tanh", v.hiddenAct());
    assertEquals(1e-6, v.layerNormEps());
    assertEquals(16, v.gridPatches());
    assertEquals(15, v.numPatches(), "feature_select 'patch' drops position 0 of SigLIP too");
    assertEquals(List.of(0.5, 0.5, 0.5), config.imageMean());
    assertEquals(List.of(0.5, 0.5, 0.5), config.imageStd());
    assertEquals("pad", config.imageAspectMode());
    Map<String, MoeLlavaFixtures.Raw> hf = MoeLlavaFixtures.tensors(MoeLlavaFixtures.fixture("phi-siglip"));
    Map<String, TensorValue> vars = reader.readVariables();
    String t = "model.image_tower.image_tower.vision_model.";
    assertFalse(vars.containsKey(VariableNames.CLASS_EMBEDDING));
    assertFalse(vars.containsKey(VariableNames.PRE_LAYERNORM + "/gamma"));
    assertEquals(MoeLlavaFixtures.value(hf.get(t + "embeddings.patch_embedding.bias"), 5),
        vars.get(VariableNames.PATCH_EMBEDDING_BIAS).data()[5]);
    assertArrayEquals(new long[] {16, 32}, vars.get(VariableNames.POSITION_EMBEDDING).shape());
    // conv OIHW [32, 3, 8, 8] -> HWIO [8, 8, 3, 32]: (o=4, c=1, y=2, x=6)
    assertEquals(MoeLlavaFixtures.value(hf.get(t + "embeddings.patch_embedding.weight"), ((4 * 3 + 1) * 8 + 2) * 8 + 6),
        vars.get(VariableNames.PATCH_EMBEDDING_KERNEL).data()[((2 * 8 + 6) * 3 + 1) * 32 + 4]);
    // head in_proj [3D, D] -> kernel [D, 3D]
    TensorValue inProj = vars.get(VariableNames.VISION_HEAD + "/attention/in_proj/kernel");
    assertArrayEquals(new long[] {32, 96}, inProj.shape());
    assertEquals(MoeLlavaFixtures.value(hf.get(t + "head.attention.in_proj_weight"), 70 * 32 + 3),
        inProj.data()[3 * 96 + 70]);
    assertArrayEquals(new long[] {1, 1, 32}, vars.get(VariableNames.VISION_HEAD + "/probe").shape());
  }

  /** moe.min_capacity is read into text_config.min_capacity (the capacity floor) and written back. */
  @Test
  void minCapacityIsReadAndWrittenBack() throws IOException {
    Path dir = MoeLlavaFixtures.copy(MoeLlavaFixtures.fixture("stablelm"), tmp.resolve("min-capacity"));
    com.fasterxml.jackson.databind.node.ObjectNode root =
        (com.fasterxml.jackson.databind.node.ObjectNode) MoeLlavaFixtures.JSON.readTree(dir.resolve("config.json").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("moe")).put("min_capacity", 7);
    Files.writeString(dir.resolve("config.json"), MoeLlavaFixtures.JSON.writeValueAsString(root));
    Path ckpt = tmp.resolve("ckpt-min-capacity");
    MoeLlavaImporter.Result r = new MoeLlavaImporter().importTo(dir,
        MoeLlavaFixtures.visionDir(dir, tmp.resolve("vision-min-capacity")), ckpt);
    assertEquals(7, r.config().textConfig().minCapacity());
    assertTrue(r.notes().stream().noneMatch(n -> n.contains("min_capacity")), "modelled, no note: " + r.notes());
    assertEquals(0, CheckpointReader.open(importFixture("stablelm")).config().textConfig().minCapacity(),
        "the published value 0");
    // a changed floor is written into the original config.json
    ModelConfig config = CheckpointReader.open(ckpt).config();
    String written = MoeLlavaConfigWriter.write(MoeLlavaFamily.STABLELM,
        config.withTextConfig(config.textConfig().withMinCapacity(3)), root);
    assertEquals(3, MoeLlavaFixtures.JSON.readTree(written).get("moe").get("min_capacity").asInt());
    Path out = new MoeLlavaExporter().export(ckpt, tmp.resolve("out-min-capacity"));
    assertEquals(7, MoeLlavaFixtures.JSON.readTree(out.resolve("config.json").toFile()).get("moe").get("min_capacity")
        .asInt());
  }

  @ParameterizedTest
  @ValueSource(strings = {"stablelm", "phi", "qwen", "phi-siglip"})
  void importThenExportIsBitExact(String family) throws IOException {
    Path fixture = MoeLlavaFixtures.fixture(family);
    Path ckpt = importFixture(family);
    Path out = new MoeLlavaExporter().export(ckpt, tmp.resolve("out-" + family));

    Map<String, MoeLlavaFixtures.Raw> original = MoeLlavaFixtures.tensors(fixture);
    Map<String, MoeLlavaFixtures.Raw> exported = MoeLlavaFixtures.tensors(out);
    assertEquals(original.keySet(), exported.keySet());
    for (String key : original.keySet()) {
      MoeLlavaFixtures.Raw a = original.get(key);
      MoeLlavaFixtures.Raw b = exported.get(key);
      assertEquals(a.dtype(), b.dtype(), key);
      assertEquals(a.file(), b.file(), key);
      assertArrayEquals(a.shape(), b.shape(), key);
      assertArrayEquals(a.bytes(), b.bytes(), key);
    }
    JsonNode expected = MoeLlavaFixtures.JSON.readTree(fixture.resolve("config.json").toFile());
    JsonNode actual = MoeLlavaFixtures.JSON.readTree(out.resolve("config.json").toFile());
    assertEquals(expected, actual, "config.json fields");
    for (String name : List.of("arcade100k.tiktoken", "qwen.tiktoken", "vocab.json", "merges.txt",
        "added_tokens.json", "tokenizer_config.json", "special_tokens_map.json", "model.safetensors.index.json")) {
      if (!Files.exists(fixture.resolve(name))) continue;
      if (name.endsWith(".json")) {
        assertEquals(MoeLlavaFixtures.JSON.readTree(fixture.resolve(name).toFile()),
            MoeLlavaFixtures.JSON.readTree(out.resolve(name).toFile()), name);
      } else {
        assertArrayEquals(Files.readAllBytes(fixture.resolve(name)), Files.readAllBytes(out.resolve(name)), name);
      }
    }
    // re-importing the export gives the same checkpoint config
    Path again = tmp.resolve("again-" + family);
    new MoeLlavaImporter().importTo(out, MoeLlavaFixtures.visionDir(fixture, tmp.resolve("v2-" + family)), again);
    assertEquals(CheckpointReader.open(ckpt).config(), CheckpointReader.open(again).config());
  }

  @ParameterizedTest
  @ValueSource(strings = {"stablelm", "phi", "qwen", "phi-siglip"})
  void importConvertsTheTokenizer(String family) throws IOException {
    Path fixture = MoeLlavaFixtures.fixture(family);
    Path ckpt = importFixture(family);
    JsonNode expected = MoeLlavaFixtures.JSON.readTree(fixture.resolve("tokenizer_expected.json").toFile());
    try (Tokenizer t = Tokenizer.load(ckpt.resolve("tokenizer.json"))) {
      for (JsonNode sample : expected.get("samples")) {
        int[] ids = new int[sample.get("ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = sample.get("ids").get(i).asInt();
        assertArrayEquals(ids, t.encode(sample.get("text").asText()), family + ": " + sample.get("text").asText());
      }
    }
  }

  /** A checkpoint without the tower takes it from --vision (a CLIPVisionModel folder); export leaves it out again. */
  @Test
  void towerFromTheVisionFolder() throws IOException {
    Path fixture = MoeLlavaFixtures.fixture("stablelm");
    Path dir = MoeLlavaFixtures.copy(fixture, tmp.resolve("no-tower"));
    Path vision = MoeLlavaFixtures.visionDir(fixture, tmp.resolve("clip"));
    String prefix = "model.image_tower.image_tower.";
    org.moellava.safetensors.SafetensorsWriter llm = new org.moellava.safetensors.SafetensorsWriter()
        .metadata("format", "pt");
    org.moellava.safetensors.SafetensorsWriter tower = new org.moellava.safetensors.SafetensorsWriter()
        .metadata("format", "pt");
    try (org.moellava.safetensors.SafetensorsFile f =
             org.moellava.safetensors.SafetensorsFile.open(fixture.resolve("model.safetensors"))) {
      for (String name : f.names()) {
        if (name.startsWith(prefix)) tower.addFloat(name.substring(prefix.length()), f.readFloat(name));
        else llm.addFloat(name, f.readFloat(name));
      }
    }
    llm.write(dir.resolve("model.safetensors"));
    tower.write(vision.resolve("model.safetensors"));

    Path ckpt = tmp.resolve("ckpt-no-tower");
    new MoeLlavaImporter().importTo(dir, vision, ckpt);
    Map<String, TensorValue> full = CheckpointReader.open(importFixture("stablelm")).readVariables();
    Map<String, TensorValue> split = CheckpointReader.open(ckpt).readVariables();
    assertEquals(full.keySet(), split.keySet());
    for (String k : full.keySet()) assertArrayEquals(full.get(k).data(), split.get(k).data(), k);

    Path out = new MoeLlavaExporter().export(ckpt, tmp.resolve("out-no-tower"));
    Map<String, MoeLlavaFixtures.Raw> exported = MoeLlavaFixtures.tensors(out);
    Map<String, MoeLlavaFixtures.Raw> input = MoeLlavaFixtures.tensors(dir);
    assertEquals(input.keySet(), exported.keySet(), "the tower stays out, as it came");
    for (String k : input.keySet()) assertArrayEquals(input.get(k).bytes(), exported.get(k).bytes(), k);
  }

  /**
   * A checkpoint made here (random weights, no MoE-LLaVA source) exports in the family layout and imports back;
   * {@code PHI_SIGLIP} is Phi-2 with a SigLIP tower (the config.json names SigLIP-so400m, as MoE-LLaVA picks the tower
   * class by that name).
   */
  @ParameterizedTest
  @ValueSource(strings = {"STABLELM", "PHI", "QWEN", "PHI_SIGLIP"})
  void nativeCheckpointExportsAndImportsBack(String styleName) throws IOException {
    boolean siglip = styleName.endsWith("_SIGLIP");
    DecoderStyle style = DecoderStyle.valueOf(styleName.replace("_SIGLIP", ""));
    ModelConfig tiny = org.moellava.config.Presets.get(org.moellava.config.Presets.TINY);
    TextConfig t = new TextConfig(64, 32, 48, 48, 3, 4, style == DecoderStyle.QWEN ? 4 : 2, 128, 10000.0, 1e-5, "silu",
        false, 4, 2, true, org.moellava.config.MoeLayers.explicit(List.of(0, 2)), 1.5, 2.0, 0.01, false, 0, 1)
        .withStyle(style);
    if (style == DecoderStyle.PHI) t = t.withArchitecture(t.architecture().withPartialRotaryFactor(0.5));
    org.moellava.config.VisionConfig v = siglip
        ? new org.moellava.config.VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-6, "gelu_pytorch_tanh",
            org.moellava.config.VisionStyle.SIGLIP)
        : new org.moellava.config.VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-5, "quick_gelu");
    ModelConfig config = org.moellava.config.ConfigValidator.validate(new ModelConfig("llava", 63, -2, "gelu", v, t,
        v.visionStyle().imageMean(), v.visionStyle().imageStd(), "pad", tiny.training()), "test");
    Map<String, TensorValue> weights = org.moellava.graph.variables.WeightInitializer.randomWeights(config, 5);
    Path ckpt = tmp.resolve("native");
    new org.moellava.checkpoint.CheckpointWriter().write(ckpt, config, null, weights,
        org.moellava.checkpoint.TrainingState.imported(5));
    Path out = new MoeLlavaExporter().export(ckpt, tmp.resolve("native-out"));
    JsonNode written = MoeLlavaFixtures.JSON.readTree(out.resolve("config.json").toFile());
    assertEquals(MoeLlavaFamily.ofStyle(style).modelType(), written.get("model_type").asText());
    assertEquals(siglip ? "google/siglip-so400m-patch14-384" : "openai/clip-vit-large-patch14-336",
        written.get("mm_image_tower").asText());

    Path vision = tmp.resolve("native-vision");
    Files.createDirectories(vision);
    Files.writeString(vision.resolve("config.json"), siglip
        ? "{\"model_type\": \"siglip\", \"vision_config\": {\"hidden_size\": 16, \"intermediate_size\": 32, "
            + "\"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"image_size\": 8, \"patch_size\": 4}}"
        : "{\"model_type\": \"clip_vision_model\", \"hidden_size\": 16, "
        + "\"intermediate_size\": 32, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"image_size\": 8, "
        + "\"patch_size\": 4}");
    Path back = tmp.resolve("native-back");
    new MoeLlavaImporter().importTo(out, vision, back);
    CheckpointReader reader = CheckpointReader.open(back);
    assertEquals(config.textConfig().withArchitecture(config.textConfig().architecture()),
        reader.config().textConfig());
    assertEquals(v, reader.config().visionConfig());
    Map<String, TensorValue> read = reader.readVariables();
    assertEquals(weights.keySet(), read.keySet());
    for (String k : weights.keySet()) assertArrayEquals(weights.get(k).data(), read.get(k).data(), k);
  }
}
