package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.WeightInitializer;

/** {@code moellava eval} and {@code moellava analyze routing} end to end on a random-weight tiny checkpoint. */
class EvalCommandTest {
  @TempDir static Path dir;
  private static Path checkpoint;

  @BeforeAll
  static void writeCheckpoint() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 16, 8, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(128, 32, 48, 48, 3, 4, 2, 256, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    ModelConfig config = ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text,
        tiny.imageMean(), tiny.imageStd(), "pad", tiny.training(), tiny.systemPrompt()), "test");
    Map<String, TensorValue> weights = new LinkedHashMap<>();
    WeightInitializer.randomWeights(config, 3).forEach((name, t) -> {
      float[] d = t.data().clone();
      if (!name.endsWith("/gamma") && !name.endsWith("/beta")) for (int i = 0; i < d.length; i++) d[i] *= 10;
      weights.put(name, new TensorValue(t.shape(), d));
    });
    checkpoint = dir.resolve("ckpt");
    new CheckpointWriter().write(checkpoint, config,
        SynthVocabulary.tokenizerJson(128).getBytes(StandardCharsets.UTF_8), weights, TrainingState.imported(3));
  }

  @Test
  void evalWritesJsonAndMarkdownForEverySuite() throws Exception {
    Path out = dir.resolve("eval.json");
    CliRunner r = CliRunner.run("eval", "--checkpoint", checkpoint.toString(), "--suite", "all", "--data", "synth",
        "--limit", "3", "--batch", "4", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode json = new ObjectMapper().readTree(out.toFile());
    assertTrue(json.get("vqa").get("total").asInt() >= 6, json.toString()); // 5-10 turns per image
    for (String split : new String[] {"random", "popular", "adversarial"}) {
      assertTrue(json.get("pope").get(split).get("total").asInt() >= 6, split);
    }
    assertEquals(3, json.get("captions").get("captions").asInt());
    assertTrue(Files.readString(dir.resolve("eval.md")).contains("| POPE split |"));
    assertTrue(r.out().contains("prompts"), r.out());
  }

  @Test
  void badDatasetEntryFailsUnlessSkipped() throws Exception {
    Path ds = dir.resolve("ds-bad");
    assertEquals(0, CliRunner.run("data", "synth", "--out", ds.toString(), "--n", "3", "--split", "test",
        "--image-size", "16").exitCode());
    Files.write(ds.resolve("images").resolve("synth-4500.png"), new byte[] {1, 2, 3, 4});
    CliRunner strict = CliRunner.run("eval", "--checkpoint", checkpoint.toString(), "--suite", "vqa", "--data",
        ds.toString(), "--limit", "3");
    assertEquals(2, strict.exitCode(), strict.err());
    assertTrue(strict.err().contains("synth-4500"), strict.err());
    CliRunner lenient = CliRunner.run("eval", "--checkpoint", checkpoint.toString(), "--suite", "vqa", "--data",
        ds.toString(), "--limit", "3", "--skip-bad");
    assertEquals(0, lenient.exitCode(), lenient.err());
    // the image belongs to its conversation and, for a quarter of images, to a caption request as well
    assertTrue(lenient.out().matches("(?s).*[12] bad entries skipped.*"), lenient.out());
  }

  @Test
  void packageOnOnnxRuntimeScoresLikeTheCheckpointOnTensorFlow() throws Exception {
    Path pkg = dir.resolve("pkg");
    new PackageExporter(ExportOptions.defaults()).export(checkpoint, pkg);
    ObjectMapper json = new ObjectMapper();
    JsonNode[] reports = new JsonNode[2];
    String[][] sources = {{"--checkpoint", checkpoint.toString()}, {"--package", pkg.toString()}};
    for (int i = 0; i < 2; i++) {
      Path out = dir.resolve("eval-" + i + ".json");
      CliRunner r = CliRunner.run("eval", sources[i][0], sources[i][1], "--suite", "all", "--data", "synth",
          "--limit", "3", "--batch", "4", "--out", out.toString());
      assertEquals(0, r.exitCode(), r.err());
      reports[i] = json.readTree(out.toFile());
    }
    for (String part : new String[] {"vqa", "pope", "captions"}) {
      assertEquals(reports[0].get(part), reports[1].get(part), part + " differs between TF and ORT");
    }
    Path routingTf = dir.resolve("routing-tf");
    Path routingOrt = dir.resolve("routing-ort");
    assertEquals(0, CliRunner.run("analyze", "routing", "--checkpoint", checkpoint.toString(), "--data", "synth",
        "--limit", "3", "--out", routingTf.toString()).exitCode());
    assertEquals(0, CliRunner.run("analyze", "routing", "--package", pkg.toString(), "--data", "synth",
        "--limit", "3", "--out", routingOrt.toString()).exitCode());
    JsonNode tf = json.readTree(routingTf.resolve("routing.json").toFile());
    JsonNode ort = json.readTree(routingOrt.resolve("routing.json").toFile());
    assertEquals(tf.get("layers"), ort.get("layers"), "routing decisions differ between TF and ORT");
  }

  @Test
  void bothOrNeitherSourceIsAUsageError() {
    CliRunner r = CliRunner.run("eval", "--data", "synth");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("exactly one of --checkpoint DIR"), r.err());
  }

  @Test
  void popeOnADatasetIsRefused() {
    CliRunner r = CliRunner.run("eval", "--checkpoint", checkpoint.toString(), "--suite", "pope", "--data",
        dir.resolve("none").toString());
    assertEquals(2, r.exitCode(), r.err());
  }

  @Test
  void analyzeRoutingWritesReportAndPlots() throws Exception {
    Path out = dir.resolve("routing");
    CliRunner r = CliRunner.run("analyze", "routing", "--checkpoint", checkpoint.toString(), "--data", "synth",
        "--limit", "4", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    JsonNode json = new ObjectMapper().readTree(out.resolve("routing.json").toFile());
    long image = json.get("tokens").get("image").asLong();
    assertEquals(4 * 4, image); // 4 images, P = 4 image tokens each
    double sum = 0;
    for (JsonNode e : json.get("layers").get(0).get("experts")) sum += e.get("load_share").asDouble();
    assertEquals(1.0, sum, 1e-9);
    assertTrue(Files.size(out.resolve("expert_loading.png")) > 1000);
    CliRunner again = CliRunner.run("analyze", "routing", "--checkpoint", checkpoint.toString(), "--data", "synth",
        "--limit", "4", "--out", out.toString());
    assertEquals(2, again.exitCode());
    assertFalse(again.err().isBlank());
  }
}
