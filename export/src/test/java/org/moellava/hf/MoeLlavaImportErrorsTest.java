package org.moellava.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.moellava.safetensors.SafetensorsFile;
import org.moellava.safetensors.SafetensorsWriter;

/** Every bad MoE-LLaVA folder fails with a one-line error naming the file and the key or field, and writes nothing. */
class MoeLlavaImportErrorsTest {
  @TempDir Path tmp;

  private Path copy(String family) {
    return MoeLlavaFixtures.copy(MoeLlavaFixtures.fixture(family), tmp.resolve("in"));
  }

  private Path vision(String family) {
    return MoeLlavaFixtures.visionDir(MoeLlavaFixtures.fixture(family), tmp.resolve("vision"));
  }

  private <E extends MoeLlavaException> E fails(Class<E> type, Path dir, Path vision, String... mentions) {
    Path target = tmp.resolve("ckpt");
    E e = assertThrows(type, () -> new MoeLlavaImporter().importTo(dir, vision, target));
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    for (String m : mentions) assertTrue(e.getMessage().contains(m), "'" + m + "' in: " + e.getMessage());
    assertFalse(Files.exists(target), "nothing written");
    try (var left = Files.list(tmp)) {
      assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".")).toList(),
          "no staging directory left");
    } catch (IOException io) {
      throw new AssertionError(io);
    }
    return e;
  }

  private static void editConfig(Path dir, Consumer<ObjectNode> edit) {
    try {
      ObjectNode root = (ObjectNode) MoeLlavaFixtures.JSON.readTree(dir.resolve("config.json").toFile());
      edit.accept(root);
      Files.writeString(dir.resolve("config.json"), MoeLlavaFixtures.JSON.writeValueAsString(root));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Rewrites model.safetensors keeping the tensors {@code keep} accepts and adding {@code extra} (F32). */
  private static void rewriteWeights(Path dir, java.util.function.Predicate<String> keep, String extra) {
    Path file = dir.resolve("model.safetensors");
    SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (String name : f.names()) if (keep.test(name)) w.addFloat(name, f.readFloat(name));
      if (extra != null) w.addFloat(extra, f.readFloat("model.norm.weight"));
    }
    w.write(file);
  }

  @Test
  void aPickleCheckpointIsRefusedWithHowToConvertIt() throws IOException {
    Path dir = copy("stablelm");
    Files.delete(dir.resolve("model.safetensors"));
    Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
    fails(InvalidInputException.class, dir, vision("stablelm"), "pytorch_model.bin", "pickle", "safetensors",
        "save_pretrained");
  }

  @Test
  void unknownModelTypeNamesTheField() {
    Path dir = copy("phi");
    editConfig(dir, r -> r.put("model_type", "llava_phi"));
    fails(ConfigException.class, dir, vision("phi"), "config.json", "model_type", "llava_phi", "moe_llava_phi");
  }

  @Test
  void aMissingTowerAsksForVision() {
    Path dir = copy("stablelm");
    rewriteWeights(dir, k -> !k.startsWith("model.image_tower."), null);
    fails(InvalidInputException.class, dir, null, "model.safetensors", "missing tower", "--vision",
        "openai/clip-vit-large-patch14-336");
    // with --vision holding only the tower's config
    fails(InvalidInputException.class, dir, vision("stablelm"), "vision", "missing tower", "model.safetensors");
  }

  @Test
  void aTowerUnlikeThePublishedOneAsksForVision() {
    fails(InvalidInputException.class, MoeLlavaFixtures.fixture("stablelm"), null, "config.json", "mm_hidden_size 32",
        "openai/clip-vit-large-patch14-336", "--vision");
  }

  @Test
  void aResidualMoeOrSharedExpertIsRefused() {
    Path dir = copy("stablelm");
    rewriteWeights(dir, k -> true, "model.layers.1.mlp.mlp.up_proj.weight");
    fails(InvalidInputException.class, dir, vision("stablelm"), "model.safetensors",
        "model.layers.1.mlp.mlp.up_proj.weight", "residual MoE");
    Path dir2 = MoeLlavaFixtures.copy(MoeLlavaFixtures.fixture("phi"), tmp.resolve("in2"));
    editConfig(dir2, r -> ((ObjectNode) r.get("moe")).put("use_residual", true));
    fails(ConfigException.class, dir2, vision("phi"), "moe.use_residual");
  }

  @Test
  void unevenExpertCountsAndTopKAreFieldsTheProjectCannotExpress() {
    Path dir = copy("qwen");
    editConfig(dir, r -> {
      ArrayNode counts = ((ObjectNode) r.get("moe")).putArray("num_experts");
      counts.add(4).add(3);
    });
    fails(ConfigException.class, dir, vision("qwen"), "moe.num_experts", "same number of experts");
    editConfig(dir, r -> {
      ArrayNode counts = ((ObjectNode) r.get("moe")).putArray("num_experts");
      counts.add(4).add(4);
      ((ObjectNode) r.get("moe")).put("top_k_experts", 3);
    });
    fails(ConfigException.class, dir, vision("qwen"), "moe.top_k_experts", "3");
  }

  @Test
  void aShapeTheConfigDoesNotExplainNamesFileKeyAndShapes() {
    Path dir = copy("phi");
    editConfig(dir, r -> r.put("intermediate_size", 96));
    fails(InvalidInputException.class, dir, vision("phi"), "model.safetensors", "mlp.fc1.weight", "[128, 64]",
        "[96, 64]");
  }

  @Test
  void aTruncatedShardNamesTheFile() throws IOException {
    Path dir = copy("qwen");
    Path shard = dir.resolve("model-00002-of-00002.safetensors");
    try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
      f.setLength(f.length() - 1000);
    }
    fails(InvalidInputException.class, dir, vision("qwen"), "model-00002-of-00002.safetensors", "truncated");
  }

  /** Without --vision the built-in SigLIP-so400m config (hidden 1152) does not fit the tiny fixture's 32. */
  @Test
  void aSiglipTowerWithoutItsConfigSaysToPassVision() {
    Path fixture = MoeLlavaFixtures.fixture("phi-siglip");
    fails(InvalidInputException.class, fixture, null, "config.json", "mm_hidden_size 32",
        "google/siglip-so400m-patch14-384", "--vision");
  }

  /** A tower config with an activation its style does not have is refused naming the file and the key. */
  @Test
  void aTowerActivationOfAnotherStyleIsRefused() throws IOException {
    Path siglip = MoeLlavaFixtures.fixture("phi-siglip");
    Path vision = MoeLlavaFixtures.visionDir(siglip, tmp.resolve("siglip-gelu"));
    ObjectNode c = (ObjectNode) MoeLlavaFixtures.JSON.readTree(vision.resolve("config.json").toFile());
    Files.writeString(vision.resolve("config.json"), MoeLlavaFixtures.JSON.writeValueAsString(
        c.put("hidden_act", "quick_gelu")));
    fails(ConfigException.class, siglip, vision, vision.resolve("config.json").toString(), "hidden_act",
        "\"quick_gelu\"", "siglip tower", "gelu_pytorch_tanh");
  }

  /** A SigLIP checkpoint read with a CLIP tower config (and the reverse) names the tensor and the config. */
  @Test
  void aTowerOfTheOtherStyleIsNamed() {
    Path siglip = MoeLlavaFixtures.fixture("phi-siglip");
    Path clipVision = MoeLlavaFixtures.visionDir(MoeLlavaFixtures.fixture("phi"), tmp.resolve("clip-vision"));
    fails(InvalidInputException.class, siglip, clipVision, "model.safetensors",
        "model.image_tower.image_tower.vision_model.head.probe", "siglip tower's tensor", "is clip");
    Path clip = MoeLlavaFixtures.fixture("phi");
    Path siglipVision = MoeLlavaFixtures.visionDir(siglip, tmp.resolve("siglip-vision"));
    fails(InvalidInputException.class, clip, siglipVision, "embeddings.class_embedding", "clip tower's tensor",
        "is siglip");
  }

  @Test
  void anUnknownExtraTensorIsNamed() {
    Path dir = copy("stablelm");
    rewriteWeights(dir, k -> true, "model.layers.0.mlp.deepspeed_moe.gate.wg.weight");
    fails(InvalidInputException.class, dir, vision("stablelm"), "model.layers.0.mlp.deepspeed_moe.gate.wg.weight",
        "unexpected key");
  }
}
