package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shortened demo runs every step of the real path and writes every promised file. */
class DemoCommandTest {
  @TempDir Path dir;

  @Test
  void quickDemoRunsEveryStepAndWritesTheReport() throws Exception {
    Path out = dir.resolve("demo");
    CliRunner r = CliRunner.run("demo", "--quick", "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err() + r.out());

    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    List<String> steps = List.of("1 synthetic world", "2 vision pretraining", "3a stage I (projector)",
        "3b stage II (LLM)", "3c stage III (MoE)", "4 evaluation (dense, MoE)", "5 export (ONNX package)",
        "6 conformance (TF vs ORT)", "7 routing analysis");
    for (String step : steps) {
      assertTrue(summary.path("steps_seconds").path(step).asDouble(-1) >= 0, "step ran: " + step);
    }
    for (String model : List.of("dense", "moe")) {
      JsonNode m = summary.path("models").path(model);
      assertTrue(m.path("vqa_accuracy").isNumber(), model);
      assertTrue(m.path("caption_object_f1").isNumber(), model);
      for (String split : List.of("random", "popular", "adversarial")) {
        for (String f : List.of("accuracy", "precision", "recall", "f1", "yes_ratio")) {
          assertTrue(m.path("pope").path(split).path(f).isNumber(), model + " pope " + split + " " + f);
        }
      }
    }
    assertEquals("passed", summary.path("conformance").path("pairs").path(0).path("status").asText());

    for (String file : List.of("report.md", "summary.json", "conformance.json", "eval/dense.json", "eval/moe.json",
        "package/model.json", "package/decoder.onnx", "package/vision.onnx", "package/embed.onnx",
        "routing/routing.json", "data/test/data.json", "train/stage3/final/config.json")) {
      assertTrue(Files.isRegularFile(out.resolve(file)), file);
    }
    try (Stream<Path> pngs = Files.list(out.resolve("routing"))) {
      assertTrue(pngs.filter(p -> p.toString().endsWith(".png")).count() >= 3, "routing plots");
    }
    String report = Files.readString(out.resolve("report.md"));
    assertTrue(report.contains("](routing/") && report.contains("VQA accuracy"), report);
    assertTrue(r.out().contains("wrote " + out.resolve("report.md")), r.out());
  }

  @Test
  void existingRunDirectoryIsRefusedWithoutForce() throws Exception {
    Path out = Files.createDirectories(dir.resolve("taken"));
    Files.writeString(out.resolve("keep.txt"), "mine");
    CliRunner r = CliRunner.run("demo", "--quick", "--out", out.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("already exists; pass --force"), r.err());
    assertEquals("mine", Files.readString(out.resolve("keep.txt")));
  }
}
