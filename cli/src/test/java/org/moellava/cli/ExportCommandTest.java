package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.runtime.TensorRtProbe;
import org.moellava.text.WordLevelTokenizerJson;

/** {@code moellava export}: package, TensorRT lint of standard and fused packages, TensorRT availability. */
class ExportCommandTest {
  @TempDir static Path dir;
  static Path checkpoint;

  @BeforeAll
  static void checkpoint() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(40, 16, 24, 24, 2, 4, 2, 64, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    ModelConfig config = ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text,
        tiny.imageMean(), tiny.imageStd(), "pad", tiny.training(), tiny.systemPrompt()), "cli test");
    byte[] tokenizer = WordLevelTokenizerJson.build(List.of("<pad>", "<eos>", "<image>"), "<pad>", List.of("a"), 8)
        .getBytes(StandardCharsets.UTF_8);
    checkpoint = dir.resolve("ck");
    new CheckpointWriter().write(checkpoint, config, tokenizer, WeightInitializer.randomWeights(config, 3),
        TrainingState.imported(3));
  }

  @Test
  void exportsAStandardPackageThatPassesTheLintAndAFusedOneThatDoesNot() {
    CliRunner r = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("std").toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("validated against TensorFlow"), r.out());
    assertTrue(Files.isRegularFile(dir.resolve("std/model.json")));

    CliRunner lint = CliRunner.run("export", "--check-tensorrt", dir.resolve("std").toString());
    assertEquals(0, lint.exitCode(), lint.out() + lint.err());
    assertTrue(lint.out().contains("3 file(s) pass"), lint.out());

    CliRunner fused = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out",
        dir.resolve("fused").toString(), "--moe", "ort-fused");
    assertEquals(0, fused.exitCode(), fused.err());
    CliRunner bad = CliRunner.run("export", "--check-tensorrt", dir.resolve("fused").toString());
    assertEquals(1, bad.exitCode(), bad.out());
    assertTrue(bad.out().contains("decoder.onnx: ") && bad.out().contains("com.microsoft"), bad.out());
  }

  @Test
  void quantizeOptionsAreCheckedInOneLineAndWriteNothing() {
    for (String[] args : List.of(new String[] {"--quantize", "int3"}, new String[] {"--quantize", "int4", "--block-size", "48"},
        new String[] {"--quantize", "int8", "--precision", "fp16"}, new String[] {"--block-size", "64"},
        new String[] {"--quantize-embeddings"}, new String[] {"--quantize", "int4", "--quantize-embeddings"},
        new String[] {"--quantize", "int4"})) { // the last: D = 16 is not divisible by the default block of 32
      List<String> all = new java.util.ArrayList<>(List.of("export", "--checkpoint", checkpoint.toString(), "--out",
          dir.resolve("q").toString()));
      all.addAll(List.of(args));
      CliRunner r = CliRunner.run(all.toArray(String[]::new));
      assertEquals(2, r.exitCode(), String.join(" ", args) + ": " + r.out() + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertFalse(Files.exists(dir.resolve("q")), String.join(" ", args));
    }
    CliRunner last = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("q").toString(),
        "--quantize", "int4");
    assertTrue(last.err().contains("--block-size 32 does not divide K=16"), last.err());
    CliRunner alone = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out",
        dir.resolve("q").toString(), "--quantize-embeddings");
    assertTrue(alone.err().contains("--quantize-embeddings need --quantize int8|int4"), alone.err());
  }

  @Test
  void qdqRefusesWhatItCannotWriteInOneLineNamingWhyAndWritesNothing() {
    String[][] cases = {
        {"--quant-format qdq takes --quantize int8 only", "--quantize", "int4", "--quant-format", "qdq"},
        {"--block-size does not apply to --quant-format qdq", "--quantize", "int8", "--quant-format", "qdq",
            "--block-size", "32"},
        {"--accuracy-level does not apply to --quant-format qdq", "--quantize", "int8", "--quant-format", "qdq",
            "--accuracy-level", "4"},
        {"--zero-points does not apply to --quant-format qdq", "--quantize", "int8", "--quant-format", "qdq",
            "--zero-points"},
        {"--quantize-embeddings cannot be combined with --quant-format qdq", "--quantize", "int8", "--quant-format",
            "qdq", "--quantize-embeddings"},
        {"--quant-format qdq needs --moe standard", "--quantize", "int8", "--quant-format", "qdq", "--moe",
            "ort-fused"},
        {"--quant-format bogus: unknown format (qoperator, qdq)", "--quantize", "int8", "--quant-format", "bogus"},
        {"--quant-format and --quantize-embeddings need --quantize int8|int4", "--quant-format", "qdq"},
        {"--quantize with --tensorrt needs --quant-format qdq", "--quantize", "int8", "--tensorrt"},
        {"--quantize int3: unknown scheme", "--quantize", "int3", "--quant-format", "qdq"}};
    for (String[] c : cases) {
      List<String> all = new java.util.ArrayList<>(List.of("export", "--checkpoint", checkpoint.toString(), "--out",
          dir.resolve("qdq-bad").toString()));
      all.addAll(List.of(c).subList(1, c.length));
      CliRunner r = CliRunner.run(all.toArray(String[]::new));
      String args = String.join(" ", List.of(c).subList(1, c.length));
      assertEquals(2, r.exitCode(), args + ": " + r.out() + r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertTrue(r.err().contains(c[0]), args + " -> " + r.err());
      assertFalse(Files.exists(dir.resolve("qdq-bad")), args);
    }
  }

  @Test
  void aQdqPackageIsExportedAndPassesTheTensorRtLint() throws java.io.IOException {
    CliRunner r = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("qdq").toString(),
        "--quantize", "int8", "--quant-format", "qdq");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("weights int8-channel-sym-qdq, "), r.out());
    assertTrue(Files.readString(dir.resolve("qdq/model.json")).contains("\"format\" : \"qdq\""));
    CliRunner lint = CliRunner.run("export", "--check-tensorrt", dir.resolve("qdq").toString());
    assertEquals(0, lint.exitCode(), lint.out() + lint.err());
    assertTrue(lint.out().contains("3 file(s) pass"), lint.out());
  }

  @Test
  void badOptionsAreOneLineErrors() {
    CliRunner r = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("x").toString(),
        "--opset", "21");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("--opset 21"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(Files.exists(dir.resolve("x")));
  }

  @Test
  void tensorRtWithoutTensorRtExitsThreeWithTheReason() {
    TensorRtProbe.Availability a = TensorRtProbe.availability();
    assumeFalse(a.available(), "TensorRT is available here (" + a.reason() + "): the unavailable path cannot run");
    CliRunner r = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("trt").toString(),
        "--tensorrt");
    assertEquals(3, r.exitCode(), r.err());
    assertTrue(r.err().contains("TensorRT unavailable: "), r.err());
    assertFalse(Files.exists(dir.resolve("trt")));
  }

  @Test
  void qdqWithTensorRtIsAcceptedAndReachesTheTensorRtCheck() {
    TensorRtProbe.Availability a = TensorRtProbe.availability();
    assumeFalse(a.available(), "TensorRT is available here (" + a.reason() + "): the unavailable path cannot run");
    CliRunner r = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out",
        dir.resolve("trt-qdq").toString(), "--tensorrt", "--quantize", "int8", "--quant-format", "qdq");
    assertEquals(3, r.exitCode(), r.err());
    assertTrue(r.err().contains("TensorRT unavailable: "), r.err());
    assertFalse(Files.exists(dir.resolve("trt-qdq")));
  }

  @Test
  void tensorRtEnginesAreBuiltWhereTensorRtLoads() throws java.io.IOException {
    TensorRtProbe.Availability a = TensorRtProbe.availability();
    assumeTrue(a.available(), "TensorRT unavailable: " + a.reason());
    CliRunner r = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out", dir.resolve("eng").toString(),
        "--tensorrt", "--trt-batch", "1,1,2", "--trt-sequence", "1,8,32", "--trt-past", "0,8,31");
    assertEquals(0, r.exitCode(), r.err());
    for (String f : List.of("vision.engine", "embed.engine", "decoder.engine")) {
      assertTrue(Files.size(dir.resolve("eng").resolve(f)) > 0, f);
    }
  }

  @Test
  void qdqInt8EnginesAreBuiltWhereTensorRtLoads() throws java.io.IOException {
    TensorRtProbe.Availability a = TensorRtProbe.availability();
    assumeTrue(a.available(), "TensorRT unavailable: " + a.reason());
    CliRunner r = CliRunner.run("export", "--checkpoint", checkpoint.toString(), "--out",
        dir.resolve("eng-qdq").toString(), "--quantize", "int8", "--quant-format", "qdq", "--tensorrt",
        "--trt-batch", "1,1,2", "--trt-sequence", "1,8,32", "--trt-past", "0,8,31");
    assertEquals(0, r.exitCode(), r.err());
    for (String f : List.of("vision.engine", "embed.engine", "decoder.engine")) {
      assertTrue(Files.size(dir.resolve("eng-qdq").resolve(f)) > 0, f);
    }
  }
}
