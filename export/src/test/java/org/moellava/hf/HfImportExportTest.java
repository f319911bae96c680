package org.moellava.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.VariableNames;

class HfImportExportTest {
  @TempDir Path tmp;

  private static void assertClose(float expected, float actual, String what) {
    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what);
  }

  @Test
  void importsVariantAWithTheRightConfigAndLayouts() {
    Path ckpt = tmp.resolve("ckpt");
    new HfImporter(false).importTo(RawHf.fixture("a"), ckpt);
    CheckpointReader reader = CheckpointReader.open(ckpt);
    ModelConfig config = reader.config();
    TextConfig t = config.textConfig();
    assertEquals(List.of(0, 2), t.moeLayerIndices());
    assertEquals(119, config.imageTokenIndex());
    assertEquals(-2, config.visionFeatureLayer());
    assertEquals(64, t.hiddenSize());
    assertEquals(2, t.numKeyValueHeads());
    assertEquals(2, t.numExpertsPerTok());
    assertEquals(96, t.moeIntermediateSize());
    assertEquals(10000.0, t.ropeTheta());
    assertEquals(0, t.padTokenId());
    assertEquals(0, t.eosTokenId());
    assertEquals(8, config.visionConfig().patchSize());
    assertEquals(ModelConfig.CLIP_MEAN, config.imageMean());
    assertEquals("imported", reader.state().stage());

    Map<String, RawHf.Raw> hf = RawHf.readF32(RawHf.fixture("a").resolve("model.safetensors"));
    Map<String, TensorValue> vars = reader.readVariables();

    // linear: kernel[in][out] == weight[out][in]
    RawHf.Raw q = hf.get("language_model.model.layers.1.self_attn.k_proj.weight"); // [32, 64]
    TensorValue qk = vars.get(VariableNames.decoderLayer(1) + "/self_attn/k_proj/kernel");
    assertArrayEquals(new long[] {64, 32}, qk.shape());
    for (int in = 0; in < 64; in += 7) {
      for (int out = 0; out < 32; out += 5) {
        assertClose(q.at(out, in), qk.data()[in * 32 + out], "k_proj[" + in + "," + out + "]");
      }
    }
    // conv: HWIO[h][w][c][o] == OIHW[o][c][h][w]
    RawHf.Raw conv = hf.get("vision_tower.embeddings.patch_embedding.weight"); // [64, 3, 8, 8]
    TensorValue hwio = vars.get(VariableNames.PATCH_EMBEDDING_KERNEL);
    assertArrayEquals(new long[] {8, 8, 3, 64}, hwio.shape());
    for (int[] i : new int[][] {{0, 0, 0, 0}, {7, 3, 2, 63}, {1, 6, 1, 17}, {5, 0, 2, 40}}) {
      int h = i[0], w = i[1], c = i[2], o = i[3];
      assertClose(conv.at(o, c, h, w), hwio.data()[((h * 8 + w) * 3 + c) * 64 + o], "conv" + List.of(h, w, c, o));
    }
    // experts: down_proj stacked [E, I, D][e][i][d] == experts.e.down_proj.weight [D, I][d][i]
    TensorValue down = vars.get(VariableNames.expertsDown(2));
    assertArrayEquals(new long[] {4, 96, 64}, down.shape());
    for (int e = 0; e < 4; e++) {
      RawHf.Raw de = hf.get("language_model.model.layers.2.mlp.experts." + e + ".down_proj.weight");
      for (int i = 0; i < 96; i += 11) {
        for (int d = 0; d < 64; d += 13) {
          assertClose(de.at(d, i), down.data()[(e * 96 + i) * 64 + d], "down e" + e);
        }
      }
    }
    TensorValue gate = vars.get(VariableNames.expertsGate(0)); // [E, D, I]
    RawHf.Raw g3 = hf.get("language_model.model.layers.0.mlp.experts.3.gate_proj.weight"); // [I, D]
    assertClose(g3.at(95, 63), gate.data()[(3 * 64 + 63) * 96 + 95], "gate e3");
    assertClose(g3.at(10, 2), gate.data()[(3 * 64 + 2) * 96 + 10], "gate e3");
    // router [D, E] == gate.weight [E, D] transposed
    RawHf.Raw router = hf.get("language_model.model.layers.2.mlp.gate.weight");
    TensorValue wg = vars.get(VariableNames.routerKernel(2));
    assertArrayEquals(new long[] {64, 4}, wg.shape());
    assertClose(router.at(3, 10), wg.data()[10 * 4 + 3], "router");
    // as-is tensors and lm_head
    assertArrayEquals(hf.get("language_model.model.embed_tokens.weight").values(),
        vars.get(VariableNames.EMBED_TOKENS).data());
    assertArrayEquals(hf.get("vision_tower.pre_layrnorm.bias").values(),
        vars.get(VariableNames.PRE_LAYERNORM + "/beta").data());
    RawHf.Raw head = hf.get("language_model.lm_head.weight"); // [V, D]
    assertClose(head.at(119, 5), vars.get(VariableNames.LM_HEAD_KERNEL).data()[5 * 120 + 119], "lm_head");
    // dense layer 1 and 3 have a dense FFN, no experts
    assertTrue(vars.containsKey(VariableNames.denseUp(3)));
    assertFalse(vars.containsKey(VariableNames.expertsUp(1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "b"})
  void roundTripIsBitExactForEveryTensor(String variant) throws IOException {
    Path hfCopy = RawHf.copyFixture(variant, tmp.resolve("hf"));
    byte[] tokenizer = "{\"model\":{\"type\":\"BPE\"}}".getBytes(StandardCharsets.UTF_8);
    Files.write(hfCopy.resolve("tokenizer.json"), tokenizer);
    new HfImporter(false).importTo(hfCopy, tmp.resolve("ckpt"));
    Path out = new HfExporter().export(tmp.resolve("ckpt"), tmp.resolve("out"));

    Map<String, RawHf.Raw> original = RawHf.readF32(RawHf.fixture(variant).resolve("model.safetensors"));
    Map<String, RawHf.Raw> exported = RawHf.readF32(out.resolve("model.safetensors"));
    assertEquals(RawHf.keys(RawHf.sortedCopy(original)), RawHf.keys(RawHf.sortedCopy(exported)));
    for (String key : original.keySet()) {
      assertArrayEquals(original.get(key).shape(), exported.get(key).shape(), key);
      assertArrayEquals(original.get(key).bytes(), exported.get(key).bytes(), key);
    }
    assertArrayEquals(Files.readAllBytes(RawHf.fixture(variant).resolve("model.safetensors")),
        Files.readAllBytes(out.resolve("model.safetensors")), "the whole file is reproduced");
    assertArrayEquals(tokenizer, Files.readAllBytes(out.resolve("tokenizer.json")));

    JsonNode expected = RawHf.JSON.readTree(RawHf.fixture(variant).resolve("config.json").toFile());
    JsonNode actual = RawHf.JSON.readTree(out.resolve("config.json").toFile());
    for (JsonNode node : List.of(expected, actual)) {
      ((ObjectNode) node).remove("image_seq_length"); // the fixture keeps transformers' default 576
      ((ObjectNode) node.get("text_config")).remove(List.of("pad_token_id", "eos_token_id")); // null -> 0
    }
    assertEquals(expected, actual);
    assertEquals(16, RawHf.JSON.readTree(out.resolve("config.json").toFile())
        .get("image_seq_length").asInt(), "(32/8)^2 = (24/6)^2 = 16 image tokens");
    assertEquals(new HfImporter(false).read(RawHf.fixture(variant)).config(),
        new HfImporter(false).read(out).config(), "re-importing the export gives the same config");
  }

  @Test
  void importsShardedBf16FusedExpertsInTheNewerKeyLayout() throws IOException {
    Map<String, RawHf.Raw> hf = RawHf.readF32(RawHf.fixture("a").resolve("model.safetensors"));
    Map<String, RawHf.Raw> shard1 = new LinkedHashMap<>();
    Map<String, RawHf.Raw> shard2 = new LinkedHashMap<>();
    for (Map.Entry<String, RawHf.Raw> e : hf.entrySet()) {
      String key = e.getKey();
      if (key.matches(".*\\.mlp\\.experts\\.\\d+\\..*")) continue; // fused below
      String modern = key.startsWith("language_model.model.") ? "model.language_model." + key.substring(21)
          : key.startsWith("vision_tower.") ? "model.vision_tower.vision_model." + key.substring(13)
          : key.startsWith("multi_modal_projector.") ? "model." + key
          : key.equals("language_model.lm_head.weight") ? "lm_head.weight" : key;
      (key.startsWith("vision_tower.") ? shard1 : shard2).put(modern, e.getValue());
    }
    int experts = 4, inter = 96, hidden = 64;
    for (int layer : new int[] {0, 2}) {
      String p = "language_model.model.layers." + layer + ".mlp.experts.";
      float[] gateUp = new float[experts * 2 * inter * hidden];
      float[] down = new float[experts * hidden * inter];
      for (int e = 0; e < experts; e++) {
        System.arraycopy(hf.get(p + e + ".gate_proj.weight").values(), 0, gateUp, e * 2 * inter * hidden,
            inter * hidden);
        System.arraycopy(hf.get(p + e + ".up_proj.weight").values(), 0, gateUp, (e * 2 + 1) * inter * hidden,
            inter * hidden);
        System.arraycopy(hf.get(p + e + ".down_proj.weight").values(), 0, down, e * hidden * inter,
            hidden * inter);
      }
      String m = "model.language_model.layers." + layer + ".mlp.experts.";
      shard1.put(m + "gate_up_proj", RawHf.raw(new long[] {experts, 2 * inter, hidden}, gateUp));
      shard2.put(m + "down_proj", RawHf.raw(new long[] {experts, hidden, inter}, down));
    }
    Path dir = Files.createDirectories(tmp.resolve("sharded"));
    Files.copy(RawHf.fixture("a").resolve("config.json"), dir.resolve("config.json"));
    RawHf.write(dir.resolve("model-00001-of-00002.safetensors"), shard1, "BF16");
    RawHf.write(dir.resolve("model-00002-of-00002.safetensors"), shard2, "BF16");
    ObjectNode index = RawHf.JSON.createObjectNode();
    index.putObject("metadata").put("total_size", 0);
    ObjectNode map = index.putObject("weight_map");
    shard1.keySet().forEach(k -> map.put(k, "model-00001-of-00002.safetensors"));
    shard2.keySet().forEach(k -> map.put(k, "model-00002-of-00002.safetensors"));
    Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());

    Map<String, TensorValue> vars = new HfImporter(false).read(dir).variables();
    Map<String, TensorValue> reference = new HfImporter(false).read(RawHf.fixture("a")).variables();
    assertEquals(reference.keySet(), vars.keySet());
    for (String name : reference.keySet()) {
      float[] want = reference.get(name).data();
      float[] got = vars.get(name).data();
      assertArrayEquals(reference.get(name).shape(), vars.get(name).shape(), name);
      for (int i = 0; i < want.length; i++) {
        if (Float.floatToRawIntBits(RawHf.bf16(want[i])) != Float.floatToRawIntBits(got[i])) {
          assertEquals(RawHf.bf16(want[i]), got[i], name + "[" + i + "]");
        }
      }
    }
  }

  @Test
  void exportRefusesAMissingOrMisshapedVariableAndWritesNothing() {
    HfImporter.Result imported = new HfImporter(false).read(RawHf.fixture("b"));
    Map<String, TensorValue> vars = new LinkedHashMap<>(imported.variables());
    vars.remove(VariableNames.routerKernel(2));
    Path target = tmp.resolve("out");
    org.moellava.error.InvalidInputException missing = org.junit.jupiter.api.Assertions.assertThrows(
        org.moellava.error.InvalidInputException.class,
        () -> new HfExporter().export(imported.config(), vars, Map.of(), null, target));
    assertTrue(missing.getMessage().contains(VariableNames.routerKernel(2)), missing.getMessage());
    vars.put(VariableNames.routerKernel(2), new TensorValue(new long[] {4, 96}, new float[4 * 96]));
    org.moellava.error.InvalidInputException shape = org.junit.jupiter.api.Assertions.assertThrows(
        org.moellava.error.InvalidInputException.class,
        () -> new HfExporter().export(imported.config(), vars, Map.of(), null, target));
    assertTrue(shape.getMessage().contains("[96, 4]"), shape.getMessage());
    assertFalse(Files.exists(target));
  }
}
