package org.moellava.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;

class CheckpointRoundTripTest {
  @TempDir Path tmp;

  static Map<String, TensorValue> sampleVariables() {
    Random random = new Random(7);
    Map<String, TensorValue> vars = new LinkedHashMap<>();
    float[] kernel = new float[2 * 3];
    for (int i = 0; i < kernel.length; i++) kernel[i] = (float) random.nextGaussian();
    kernel[0] = Float.MIN_VALUE; // subnormal
    kernel[1] = -0.0f;
    kernel[2] = Float.MAX_VALUE;
    vars.put("llm/layers_0/self_attn/q_proj/kernel", new TensorValue(new long[] {2, 3}, kernel));
    float[] experts = new float[4 * 3 * 5];
    for (int i = 0; i < experts.length; i++) experts[i] = (float) random.nextGaussian() * 1e-3f;
    vars.put("llm/layers_0/mlp/experts/gate_proj", new TensorValue(new long[] {4, 3, 5}, experts));
    vars.put("llm/norm/gamma", new TensorValue(new long[] {3}, new float[] {1f, 0.5f, -2.25f}));
    return vars;
  }

  static TrainingState sampleState() {
    return new TrainingState("stage3", 120, 1920, 42, Map.of("loss", 2.5, "aux_loss", 0.0125));
  }

  private static void assertBitExact(TensorValue expected, TensorValue actual, String name) {
    assertArrayEquals(expected.shape(), actual.shape(), name + " shape");
    assertEquals(expected.data().length, actual.data().length, name + " size");
    for (int i = 0; i < expected.data().length; i++) {
      assertEquals(Float.floatToRawIntBits(expected.data()[i]), Float.floatToRawIntBits(actual.data()[i]),
          name + "[" + i + "]");
    }
  }

  @Test
  void writesAndReadsBackEverythingBitExact() {
    ModelConfig config = Presets.get("tiny");
    byte[] tokenizer = "{\"version\":\"1.0\"}".getBytes(StandardCharsets.UTF_8);
    Map<String, TensorValue> vars = sampleVariables();
    Path dir = new CheckpointWriter().write(tmp.resolve("ckpt"), config, tokenizer, vars, sampleState(),
        Map.of("extra.bin", new byte[] {1, 2, 3}));

    assertTrue(Files.isRegularFile(dir.resolve("variables/variables.index")));
    CheckpointReader reader = CheckpointReader.open(dir);
    assertEquals(config, reader.config());
    assertEquals(sampleState(), reader.state());
    assertArrayEquals(tokenizer, reader.tokenizerJson().orElseThrow());
    assertArrayEquals(new byte[] {1, 2, 3}, reader.extraFile("extra.bin").orElseThrow());
    assertTrue(reader.extraFile("absent.bin").isEmpty());
    assertEquals(List.of("llm/layers_0/mlp/experts/gate_proj", "llm/layers_0/self_attn/q_proj/kernel",
        "llm/norm/gamma"), reader.variables().stream().map(VariableSpec::name).toList());

    Map<String, TensorValue> back = reader.readVariables();
    assertEquals(vars.keySet(), back.keySet());
    vars.forEach((name, value) -> assertBitExact(value, back.get(name), name));

    Map<String, TensorValue> subset = reader.readVariables(List.of("llm/norm/gamma"));
    assertEquals(List.of("llm/norm/gamma"), List.copyOf(subset.keySet()));
    assertBitExact(vars.get("llm/norm/gamma"), subset.get("llm/norm/gamma"), "subset");
  }

  @Test
  void checkpointWithoutTokenizerHasNone() {
    Path dir = new CheckpointWriter().write(tmp.resolve("ckpt"), Presets.get("tiny"), null, sampleVariables(),
        sampleState());
    assertTrue(CheckpointReader.open(dir).tokenizerJson().isEmpty());
    assertFalse(Files.exists(dir.resolve(CheckpointFiles.TOKENIZER)));
  }

  @Test
  void unknownVariableInSubsetIsReported() {
    Path dir = new CheckpointWriter().write(tmp.resolve("ckpt"), Presets.get("tiny"), null, sampleVariables(),
        sampleState());
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> CheckpointReader.open(dir).readVariables(List.of("lm_head/kernel")));
    assertTrue(e.getMessage().contains("lm_head/kernel") && e.getMessage().contains("manifest.json"),
        e.getMessage());
  }

  @Test
  void configMismatchIsAConfigErrorNamingTheField() {
    ModelConfig config = Presets.get("tiny");
    Path dir = new CheckpointWriter().write(tmp.resolve("ckpt"), config, null, sampleVariables(), sampleState());
    TextConfig t = config.textConfig();
    TextConfig other = new TextConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize(),
        t.moeIntermediateSize() * 2, t.numHiddenLayers(), t.numAttentionHeads(), t.numKeyValueHeads(),
        t.maxPositionEmbeddings(), t.ropeTheta(), t.rmsNormEps(), t.hiddenAct(), t.tieWordEmbeddings(),
        t.numExperts(), t.numExpertsPerTok(), t.normTopkProb(), t.moeLayers(), t.capacityFactor(),
        t.evalCapacityFactor(), t.routerAuxLossCoef(), t.routerGumbelNoise(), t.padTokenId(), t.eosTokenId());
    ConfigException e = assertThrows(ConfigException.class,
        () -> CheckpointReader.open(dir).config(config.withTextConfig(other)));
    assertTrue(e.getMessage().contains("text_config.moe_intermediate_size"), e.getMessage());
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    assertEquals(config, CheckpointReader.open(dir).config(config));
  }

  @Test
  void failureBeforePublishLeavesNoTargetAndNoStaging() throws IOException {
    Path target = tmp.resolve("run").resolve("ckpt");
    CheckpointWriter failing = new CheckpointWriter(staging -> {
      assertTrue(Files.isRegularFile(staging.resolve(CheckpointFiles.STATE)), "staging was filled");
      throw new IllegalStateException("simulated crash");
    });
    assertThrows(IllegalStateException.class,
        () -> failing.write(target, Presets.get("tiny"), null, sampleVariables(), sampleState()));
    assertFalse(Files.exists(target));
    try (Stream<Path> left = Files.list(target.getParent())) {
      assertEquals(List.of(), left.toList());
    }
  }

  @Test
  void failureWhileReplacingKeepsThePreviousCheckpoint() {
    Path target = tmp.resolve("ckpt");
    new CheckpointWriter().write(target, Presets.get("tiny"), null, sampleVariables(), sampleState());
    CheckpointWriter failing = new CheckpointWriter(staging -> {
      throw new IllegalStateException("simulated crash");
    });
    TrainingState later = new TrainingState("stage3", 999, 0, 42, Map.of());
    assertThrows(IllegalStateException.class,
        () -> failing.write(target, Presets.get("tiny"), null, sampleVariables(), later));
    assertEquals(sampleState(), CheckpointReader.open(target).state());
  }

  private Path writeSample() {
    return new CheckpointWriter().write(tmp.resolve("ckpt"), Presets.get("tiny"), null, sampleVariables(),
        sampleState());
  }

  private static Path dataFile(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("variables"))) {
      return files.filter(p -> p.getFileName().toString().startsWith("variables.data-")).findFirst().orElseThrow();
    }
  }

  private static void assertOneLine(InvalidInputException e, String mustContain) {
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertTrue(e.getMessage().contains(mustContain), e.getMessage());
  }

  @Test
  void truncatedVariableDataIsReported() throws IOException {
    Path dir = writeSample();
    Path data = dataFile(dir);
    byte[] bytes = Files.readAllBytes(data);
    Files.write(data, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> CheckpointReader.open(dir).readVariables());
    assertOneLine(e, "variables/variables");
  }

  @Test
  void corruptIndexIsReported() throws IOException {
    Path dir = writeSample();
    Path index = dir.resolve("variables/variables.index");
    byte[] bytes = Files.readAllBytes(index);
    for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (bytes[i] ^ 0x5A);
    Files.write(index, bytes);
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> CheckpointReader.open(dir).readVariables());
    assertOneLine(e, "variables/variables");
  }

  @Test
  void missingIndexIsReported() throws IOException {
    Path dir = writeSample();
    Files.delete(dir.resolve("variables/variables.index"));
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> CheckpointReader.open(dir).readVariables());
    assertOneLine(e, "variables.index");
  }

  @Test
  void missingStateOrCorruptManifestIsReported() throws IOException {
    Path dir = writeSample();
    Files.writeString(dir.resolve("variables/manifest.json"), "{\"variables\": [");
    InvalidInputException corrupt = assertThrows(InvalidInputException.class, () -> CheckpointReader.open(dir));
    assertOneLine(corrupt, "manifest.json");
    Files.delete(dir.resolve(CheckpointFiles.STATE));
    InvalidInputException missing = assertThrows(InvalidInputException.class, () -> CheckpointReader.open(dir));
    assertOneLine(missing, "state.json");
    assertThrows(InvalidInputException.class, () -> CheckpointReader.open(tmp.resolve("nowhere")));
  }

  @Test
  void manifestShapeThatDisagreesWithTheCheckpointIsReported() throws IOException {
    Path dir = writeSample();
    Path manifest = dir.resolve("variables/manifest.json");
    Files.writeString(manifest, Files.readString(manifest).replace("[ 3 ]", "[ 4 ]"));
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> CheckpointReader.open(dir).readVariables(List.of("llm/norm/gamma")));
    assertOneLine(e, "llm/norm/gamma");
  }

  @Test
  void aLazyVariableReadStraightIntoTensorFlowKeepsTheReadersOwnFailure() {
    Path dir = new CheckpointWriter().write(tmp.resolve("ckpt"), Presets.get("tiny"), null, sampleVariables(),
        sampleState());
    var direct = (org.moellava.graph.variables.DirectWeights) CheckpointReader.open(dir)
        .lazyVariables(List.of("llm/layers_0/self_attn/q_proj/kernel"));
    float[][] seen = new float[1][];
    direct.withTensor("llm/layers_0/self_attn/q_proj/kernel", t -> {
      seen[0] = new float[(int) t.size()];
      t.copyTo(org.tensorflow.ndarray.buffer.DataBuffers.of(seen[0], false, false));
    });
    assertArrayEquals(sampleVariables().get("llm/layers_0/self_attn/q_proj/kernel").data(), seen[0]);
    assertArrayEquals(new long[] {2, 3}, direct.shape("llm/layers_0/self_attn/q_proj/kernel"));
    // a TensorFlow failure of the reader (assigning the value, say) is not reported as a corrupt checkpoint
    RuntimeException own = new org.tensorflow.exceptions.TFInvalidArgumentException("assign failed");
    RuntimeException thrown = assertThrows(RuntimeException.class,
        () -> direct.withTensor("llm/layers_0/self_attn/q_proj/kernel", t -> {
          throw own;
        }));
    assertSame(own, thrown);
  }
}
