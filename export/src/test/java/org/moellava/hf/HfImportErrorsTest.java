package org.moellava.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.moellava.io.AtomicFiles;

/** Every bad input fails with a one-line error naming the file and the key, and writes nothing. */
class HfImportErrorsTest {
  @TempDir Path tmp;

  private Path copy() {
    return RawHf.copyFixture("a", tmp.resolve("hf"));
  }

  private <E extends MoeLlavaException> E fails(Class<E> type, Path hfDir, String... mentions) {
    Path target = tmp.resolve("ckpt");
    E e = assertThrows(type, () -> new HfImporter(false).importTo(hfDir, target));
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    for (String m : mentions) assertTrue(e.getMessage().contains(m), "'" + m + "' in: " + e.getMessage());
    assertFalse(Files.exists(target), "nothing written");
    try (var left = Files.list(tmp)) {
      assertEquals(List.of(), left.filter(p -> !p.equals(tmp.resolve("hf"))).toList(),
          "no staging directory left");
    } catch (IOException io) {
      throw new AssertionError(io);
    }
    return e;
  }

  private Path withConfig(Consumer<ObjectNode> edit) {
    Path dir = copy();
    RawHf.editConfig(dir, edit);
    return dir;
  }

  private static ObjectNode text(ObjectNode root) {
    return (ObjectNode) root.get("text_config");
  }

  @Test
  void missingFiles() throws IOException {
    Path noConfig = copy();
    Files.delete(noConfig.resolve("config.json"));
    fails(InvalidInputException.class, noConfig, "config.json", "missing");
    Files.copy(RawHf.fixture("a").resolve("config.json"), noConfig.resolve("config.json"));
    Files.delete(noConfig.resolve("model.safetensors"));
    fails(InvalidInputException.class, noConfig, "model.safetensors");
    fails(InvalidInputException.class, tmp.resolve("nowhere"), "nowhere");
  }

  @Test
  void unknownModelTypes() {
    fails(ConfigException.class, withConfig(r -> r.put("model_type", "llava_next")), "config.json", "model_type",
        "llava_next");
    reset();
    fails(ConfigException.class, withConfig(r -> text(r).put("model_type", "qwen2")), "config.json",
        "text_config.model_type", "qwen2");
    reset();
    fails(ConfigException.class, withConfig(r -> ((ObjectNode) r.get("vision_config")).put("model_type", "siglip")),
        "vision_config.model_type");
  }

  @Test
  void configsTheProjectCannotExpress() {
    fails(ConfigException.class, withConfig(r -> text(r).put("shared_expert_intermediate_size", 32)),
        "config.json", "text_config.shared_expert_intermediate_size");
    reset();
    fails(ConfigException.class, withConfig(r -> text(r).put("hidden_act", "gelu")), "config.json",
        "text_config.hidden_act", "gelu");
    reset();
    fails(ConfigException.class, withConfig(r -> ((ObjectNode) r.get("vision_config")).put("hidden_act", "gelu")),
        "vision_config.hidden_act");
    reset();
    fails(ConfigException.class, withConfig(r -> text(r).put("qkv_bias", false)), "text_config.qkv_bias");
    reset();
    fails(ConfigException.class, withConfig(r -> r.put("tie_word_embeddings", true)), "tie_word_embeddings");
    reset();
    fails(ConfigException.class, withConfig(r -> r.put("vision_feature_select_strategy", "full")),
        "vision_feature_select_strategy");
    reset();
    fails(ConfigException.class, withConfig(r -> text(r).remove("vocab_size")), "config.json",
        "text_config.vocab_size");
  }

  @Test
  void ropeThetaMayBeTopLevelInTheTextConfig() {
    Path dir = withConfig(r -> {
      text(r).remove("rope_parameters");
      text(r).put("rope_theta", 5000.0);
    });
    assertEquals(5000.0, new HfImporter(false).read(dir).config().textConfig().ropeTheta());
  }

  private Path withTensors(Consumer<Map<String, RawHf.Raw>> edit) {
    Path dir = copy();
    Map<String, RawHf.Raw> tensors = new LinkedHashMap<>(RawHf.readF32(dir.resolve("model.safetensors")));
    edit.accept(tensors);
    RawHf.write(dir.resolve("model.safetensors"), tensors, "F32");
    return dir;
  }

  @Test
  void tensorWithTheWrongShape() {
    String key = "language_model.model.layers.1.self_attn.q_proj.weight";
    Path dir = withTensors(t -> t.put(key, RawHf.raw(new long[] {32, 128}, t.get(key).values())));
    fails(InvalidInputException.class, dir, "model.safetensors", key, "[32, 128]", "[64, 64]");
  }

  @Test
  void missingKey() {
    String key = "language_model.model.layers.2.mlp.experts.3.up_proj.weight";
    fails(InvalidInputException.class, withTensors(t -> t.remove(key)), "model.safetensors", key, "missing");
  }

  @Test
  void unexpectedExtraKeyUnlessAllowed() {
    String key = "language_model.model.layers.0.mlp.experts.4.up_proj.weight";
    Path dir = withTensors(t -> t.put(key, RawHf.raw(new long[] {2}, new float[] {1, 2})));
    fails(InvalidInputException.class, dir, "model.safetensors", key, "unexpected");
    HfImporter.Result ok = new HfImporter(true).read(dir);
    assertEquals(Set.of(key), ok.ignoredKeys());
  }

  @Test
  void truncatedSafetensors() throws IOException {
    Path dir = copy();
    Path file = dir.resolve("model.safetensors");
    byte[] all = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(all, all.length - 1000));
    fails(InvalidInputException.class, dir, "model.safetensors", "vision_tower.", "truncated");
  }

  @Test
  void headerLengthPastEndOfFile() throws IOException {
    Path dir = copy();
    Path file = dir.resolve("model.safetensors");
    byte[] all = Files.readAllBytes(file);
    ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, all.length + 10L);
    Files.write(file, all);
    fails(InvalidInputException.class, dir, "model.safetensors", "header length", "past the end");
  }

  @Test
  void shardIndexNamingAMissingShard() throws IOException {
    Path dir = copy();
    Files.delete(dir.resolve("model.safetensors"));
    Files.writeString(dir.resolve("model.safetensors.index.json"),
        "{\"metadata\":{},\"weight_map\":{\"language_model.lm_head.weight\":\"model-00001-of-00002.safetensors\"}}");
    fails(InvalidInputException.class, dir, "model.safetensors.index.json", "model-00001-of-00002.safetensors");
  }

  /** Clears the temporary directory between cases of one test. */
  private void reset() {
    AtomicFiles.deleteRecursively(tmp.resolve("hf"));
    AtomicFiles.deleteRecursively(tmp.resolve("ckpt"));
  }
}
