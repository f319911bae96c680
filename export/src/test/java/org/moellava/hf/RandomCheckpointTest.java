package org.moellava.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ConfigValidator;
import org.moellava.config.DecoderStyle;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.safetensors.SafetensorsDType;
import org.moellava.tensor.TensorValue;

/**
 * {@code init-random} on tiny configs of each MoE-LLaVA family: the MoE-LLaVA layout (BF16, several shards and an
 * index) imported with {@code import moellava} holds exactly the values of the project layout of the same seed; the
 * values are what was asked for (norm gains 1, biases 0, matrices Normal(0, 0.02), every value a BF16 value).
 */
class RandomCheckpointTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  /** A tiny model of {@code style}: 4 layers (MoE 0, 2), D = 64, 4 heads, E = 4, k = 2. */
  static ModelConfig tiny(DecoderStyle style) {
    ModelConfig base = Presets.get(Presets.TINY);
    TextConfig t = new TextConfig(160, 64, 96, 96, 4, 4, 4, 128, 10000.0, 1e-5, "silu", false, 4, 2, true,
        MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 0).withStyle(style);
    ModelConfig c = new ModelConfig("llava", 159, -2, "gelu", base.visionConfig(), t, ModelConfig.CLIP_MEAN,
        ModelConfig.CLIP_STD, "pad", base.training());
    return ConfigValidator.validate(c, "test");
  }

  private static Path visionDir(VisionConfig v, Path dir) throws IOException {
    ObjectNode c = JSON.createObjectNode();
    c.put("model_type", "clip_vision_model");
    c.put("hidden_size", v.hiddenSize());
    c.put("intermediate_size", v.intermediateSize());
    c.put("num_hidden_layers", v.numHiddenLayers());
    c.put("num_attention_heads", v.numAttentionHeads());
    c.put("image_size", v.imageSize());
    c.put("patch_size", v.patchSize());
    c.put("layer_norm_eps", v.layerNormEps());
    c.put("hidden_act", v.hiddenAct());
    c.put("num_channels", v.numChannels());
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
    return dir;
  }

  @ParameterizedTest
  @EnumSource(value = DecoderStyle.class, names = {"STABLELM", "PHI", "QWEN"})
  void moeLlavaLayoutImportsToTheProjectLayoutOfTheSameSeed(DecoderStyle style) throws IOException {
    ModelConfig config = tiny(style);
    Path folder = tmp.resolve("ml");
    RandomCheckpoint.Written w = new RandomCheckpoint(config, SafetensorsDType.BF16, 11).writeMoeLlava(folder, 200_000,
        null);

    // sharded like the published checkpoints: several shards, each at most the shard size, and a complete index
    JsonNode index = JSON.readTree(folder.resolve("model.safetensors.index.json").toFile());
    long shards;
    try (Stream<Path> files = Files.list(folder)) {
      shards = files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
    }
    assertTrue(shards >= 2, "shards: " + shards);
    assertEquals(shards, w.files().size() - 1);
    long dataBytes = 0;
    for (String f : w.files()) {
      if (!f.endsWith(".safetensors")) continue;
      long size = Files.size(folder.resolve(f));
      assertTrue(size <= 200_000 + 16_384, f + " " + size); // the limit plus its header
      dataBytes += size;
    }
    assertEquals(w.bytes(), index.get("metadata").get("total_size").asLong());
    assertTrue(dataBytes > w.bytes());
    assertEquals(w.tensors(), index.get("weight_map").size());
    JsonNode cfg = JSON.readTree(folder.resolve("config.json").toFile());
    assertEquals("moe_llava_" + (style == DecoderStyle.PHI ? "phi" : style.id()), cfg.get("model_type").asText());
    assertEquals("[0,2]", cfg.get("moe").get("moe_layers_idx").toString());

    Path imported = tmp.resolve("ck-imported");
    new MoeLlavaImporter().importTo(folder, visionDir(config.visionConfig(), tmp.resolve("vision")), imported);
    Path project = tmp.resolve("ck-project");
    new RandomCheckpoint(config, SafetensorsDType.BF16, 11).writeProject(project, null);

    Map<String, TensorValue> a = CheckpointReader.open(imported).readVariables();
    Map<String, TensorValue> b = CheckpointReader.open(project).readVariables();
    assertEquals(b.keySet(), a.keySet());
    long params = 0;
    for (String name : b.keySet()) {
      float[] x = a.get(name).data();
      float[] y = b.get(name).data();
      assertEquals(y.length, x.length, name);
      for (int i = 0; i < y.length; i++) {
        assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(x[i]), name + "[" + i + "]");
        assertEquals(0, Float.floatToRawIntBits(y[i]) & 0xffff, name + "[" + i + "] is not a bf16 value");
      }
      params += y.length;
      checkValues(name, y);
    }
    assertEquals(w.parameters(), params);
  }

  /** Norm gains 1, biases 0, everything else Normal(0, 0.02) (sample mean and standard deviation). */
  private static void checkValues(String name, float[] v) {
    if (name.endsWith("/gamma")) {
      for (float x : v) assertEquals(1f, x, name);
    } else if (name.endsWith("/beta") || name.endsWith("bias")) {
      for (float x : v) assertEquals(0f, x, name);
    } else if (v.length >= 4096) {
      double sum = 0;
      double sq = 0;
      for (float x : v) {
        sum += x;
        sq += (double) x * x;
      }
      double mean = sum / v.length;
      double std = Math.sqrt(sq / v.length - mean * mean);
      assertEquals(0.0, mean, 5 * 0.02 / Math.sqrt(v.length), name + " mean");
      assertEquals(0.02, std, 0.02 * 6 / Math.sqrt(v.length) + 0.0002, name + " std");
    }
  }

  @Test
  void refusesTheDefaultStyleAndAnExistingTarget() throws IOException {
    ModelConfig config = Presets.get(Presets.TINY);
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> new RandomCheckpoint(config, SafetensorsDType.BF16, 0).writeMoeLlava(tmp.resolve("x"), 1 << 20, null));
    assertTrue(e.getMessage().contains("qwen2_moe") && e.getMessage().contains("--layout project"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    Files.createDirectories(tmp.resolve("taken"));
    e = assertThrows(InvalidInputException.class,
        () -> new RandomCheckpoint(config, SafetensorsDType.F32, 0).writeProject(tmp.resolve("taken"), null));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(1, files.count(), "nothing but the existing directory");
    }
  }
}
