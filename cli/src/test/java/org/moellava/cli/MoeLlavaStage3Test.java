package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.graph.variables.VariableGroup;
import org.moellava.graph.variables.VariableNames;
import org.moellava.image.ImageFiles;
import org.moellava.image.RgbImage;
import org.moellava.tensor.TensorValue;

/**
 * Stage III fine-tuning from an imported MoE-LLaVA checkpoint, per published family: {@code import moellava} of the
 * fixture, a tiny LLaVA-format dataset (images, conversations with {@code <image>}; the tokenizer is the imported
 * checkpoint's {@code tokenizer.json}), then {@code train --stage 3 --init CKPT --max-steps 3}. The checkpoint is
 * already the MoE model, so nothing is upcycled; the losses are finite, every variable of the trained groups
 * (projector, FFNs, experts, routers) changed, every other one is bit-identical.
 */
class MoeLlavaStage3Test {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<VariableGroup> TRAINED = EnumSet.of(VariableGroup.PROJECTOR, VariableGroup.FFN,
      VariableGroup.EXPERTS, VariableGroup.ROUTERS);

  @ParameterizedTest
  @ValueSource(strings = {"stablelm", "phi", "qwen", "phi-siglip"})
  void stage3TrainsFromAnImportedCheckpoint(String family, @TempDir Path dir) throws IOException {
    Path ckpt = MoeLlavaForwardTest.importFixture(family, dir);

    Path data = writeDataset(dir.resolve("data"));
    Path run = dir.resolve("run");
    CliRunner train = CliRunner.run("train", "--config", ckpt.resolve("config.json").toString(), "--stage", "3",
        "--init", ckpt.toString(), "--data", data.toString(), "--max-steps", "3", "--out", run.toString());
    assertEquals(0, train.exitCode(), train.out() + train.err());
    assertFalse(train.out().contains("upcycling"), "an imported MoE checkpoint is not upcycled again: " + train.out());
    assertTrue(Arrays.equals(Files.readAllBytes(ckpt.resolve("tokenizer.json")),
        Files.readAllBytes(run.resolve("tokenizer.json"))), "the run uses the imported checkpoint's tokenizer");

    List<Double> losses = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode m = JSON.readTree(line);
      if (!"stage3".equals(m.path("stage").asText()) || !m.has("step") || !m.has("loss")) continue;
      double loss = m.get("loss").asDouble();
      assertTrue(Double.isFinite(loss) && loss > 0, family + ": loss " + line);
      losses.add(loss);
    }
    assertEquals(3, losses.size(), family + ": three steps logged");

    CheckpointReader before = CheckpointReader.open(ckpt);
    CheckpointReader after = CheckpointReader.open(run.resolve("stage3").resolve("final"));
    assertEquals(before.config(), after.config(), "stage III keeps the imported model's config");
    Map<String, TensorValue> old = before.readVariables();
    Map<String, TensorValue> now = after.readVariables();
    assertEquals(old.keySet(), now.keySet(), "the same variables");
    int changed = 0;
    int experts = 0;
    for (Map.Entry<String, TensorValue> e : now.entrySet()) {
      TensorValue o = old.get(e.getKey());
      assertNotNull(o, e.getKey());
      boolean same = Arrays.equals(o.data(), e.getValue().data());
      VariableGroup group = VariableNames.groupOf(e.getKey());
      if (TRAINED.contains(group)) {
        assertFalse(same, family + ": trained variable " + e.getKey() + " (" + group + ") did not change");
        changed++;
        if (group == VariableGroup.EXPERTS) experts++;
      } else {
        assertTrue(same, family + ": frozen variable " + e.getKey() + " (" + group + ") changed");
      }
    }
    assertTrue(experts > 0 && changed > experts, family + ": experts and other trained groups changed");
    System.out.printf("%s: stage3 losses %s, %d trained variables changed (%d expert), %d frozen bit-identical%n",
        family, losses, changed, experts, now.size() - changed);
  }

  /** Six entries: four with an image (one two-turn), two text-only; 32x32 PNGs. */
  private static Path writeDataset(Path root) throws IOException {
    Files.createDirectories(root.resolve("images"));
    ArrayNode entries = JSON.createArrayNode();
    String[][] qa = {
        {"What color is the square?", "The square is red."},
        {"Is there a ring in the picture?", "No, there is no ring."},
        {"Describe the image briefly.", "A small blue shape on a green field."},
        {"How many shapes are there?", "There are two shapes."}};
    for (int i = 0; i < qa.length; i++) {
      String image = "images/img" + i + ".png";
      Files.write(root.resolve(image), ImageFiles.encodePng(pattern(32, i)));
      ObjectNode entry = entries.addObject().put("id", "img-" + i).put("image", image);
      ArrayNode turns = entry.putArray("conversations");
      turns.addObject().put("from", "human").put("value", "<image>\n" + qa[i][0]);
      turns.addObject().put("from", "gpt").put("value", qa[i][1]);
      if (i == 3) {
        turns.addObject().put("from", "human").put("value", "And which one is larger?");
        turns.addObject().put("from", "gpt").put("value", "The left one is larger.");
      }
    }
    for (int i = 0; i < 2; i++) {
      ObjectNode entry = entries.addObject().put("id", "text-" + i);
      ArrayNode turns = entry.putArray("conversations");
      turns.addObject().put("from", "human").put("value", i == 0 ? "Say hello." : "What is two plus two?");
      turns.addObject().put("from", "gpt").put("value", i == 0 ? "Hello!" : "Two plus two is four.");
    }
    Files.writeString(root.resolve("data.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(entries));
    return root;
  }

  private static RgbImage pattern(int size, int seed) {
    byte[] rgb = new byte[size * size * 3];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int p = (y * size + x) * 3;
        rgb[p] = (byte) ((x * 8 + seed * 60) & 0xFF);
        rgb[p + 1] = (byte) ((y * 8 + seed * 30) & 0xFF);
        rgb[p + 2] = (byte) (((x + y) * 4 + seed * 90) & 0xFF);
      }
    }
    return new RgbImage(size, size, rgb);
  }
}
