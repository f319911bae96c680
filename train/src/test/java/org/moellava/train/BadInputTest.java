package org.moellava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.error.ConfigException;
import org.moellava.error.MoeLlavaException;
import org.moellava.io.DirectoryLock;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.WeightInitializer;

/** Bad input fails with a one-line typed error (exit code 2) before any training step, leaving no metrics. */
class BadInputTest {
  @TempDir Path dir;
  final ModelConfig config = TrainTestConfigs.micro(2, 0);

  private MoeLlavaException fails(String stage, String data, Path out, Path init) {
    MoeLlavaException e = assertThrows(MoeLlavaException.class, () -> StagesTest.runQuietly(
        new TrainingRun.Options(config, stage, data, out, 0, false, init, 1)));
    assertEquals(MoeLlavaException.EXIT_USAGE, e.exitCode(), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    assertFalse(Files.exists(out.resolve("metrics.jsonl")), "no training step ran");
    return e;
  }

  @Test
  void unknownStage() {
    assertTrue(fails("4", "synth", dir.resolve("run"), null).getMessage().contains("unknown stage '4'"));
  }

  @Test
  void stage3WithoutAStage2Checkpoint() {
    String message = fails("3", "synth", dir.resolve("run"), null).getMessage();
    assertTrue(message.contains("stage2") && message.contains("--init"), message);
  }

  @Test
  void missingInitCheckpoint() {
    assertTrue(fails("2", "synth", dir.resolve("run"), dir.resolve("nope")).getMessage().contains("not found"));
  }

  @Test
  void initCheckpointOfAnotherModel() {
    Path init = dir.resolve("other");
    ModelConfig wider = Stage.dense(TrainTestConfigs.micro(2, 0));
    wider = wider.withTextConfig(new org.moellava.config.TextConfig(128, 32, 24, 24, 2, 4, 2, 128, 10000.0, 1e-6,
        "silu", false, 4, 2, true, wider.textConfig().moeLayers(), 1.5, 2.0, 0.01, false, 0, 1));
    new CheckpointWriter().write(init, wider, null, WeightInitializer.randomWeights(wider, 1),
        TrainingState.imported(1));
    MoeLlavaException e = fails("2", "synth", dir.resolve("run"), init);
    assertTrue(e instanceof ConfigException && e.getMessage().contains("hidden_size"), e.getMessage());
  }

  @Test
  void unwritableOutputDirectory() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertTrue(fails("vision", "synth", file.resolve("run"), null).getMessage().contains("cannot create"));
  }

  @Test
  void datasetThatFailsToLoad() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("data.json"), "[{\"id\": \"a\", \"conversations\": [");
    Files.writeString(data.resolve("tokenizer.json"), "{}");
    Path init = dir.resolve("init");
    ModelConfig dense = Stage.dense(config);
    new CheckpointWriter().write(init, dense, null, WeightInitializer.randomWeights(dense, 1), TrainingState.imported(1));
    assertTrue(fails("1", data.toString(), dir.resolve("run"), init).getMessage().contains("malformed JSON"));
    assertTrue(fails("1", dir.resolve("missing").toString(), dir.resolve("run2"), init).getMessage()
        .contains("not found"));
    assertTrue(fails("vision", data.toString(), dir.resolve("run3"), null).getMessage().contains("synthetic world"));
  }

  @Test
  void aRunDirectoryInUseIsRefusedNamingTheHolder() throws Exception {
    Path out = Files.createDirectories(dir.resolve("run"));
    try (DirectoryLock held = DirectoryLock.acquire(out, "training run")) {
      String message = fails("vision", "synth", out, null).getMessage();
      assertTrue(message.contains("in use by another training run (PID " + ProcessHandle.current().pid() + ")"),
          message);
    }
  }

  @Test
  void aFinishedStageIsNotOverwrittenWithoutResume() {
    Path out = dir.resolve("run");
    StagesTest.runQuietly(TrainTestConfigs.options(config, "vision", out, 1, false, null));
    MoeLlavaException e = assertThrows(MoeLlavaException.class, () -> StagesTest.runQuietly(
        TrainTestConfigs.options(config, "vision", out, 1, false, null)));
    assertTrue(e.getMessage().contains("--resume"), e.getMessage());
    String skipped = StagesTest.runQuietly(TrainTestConfigs.options(config, "vision", out, 1, true, null));
    assertTrue(skipped.contains("already finished"), skipped);
  }

  @Test
  void nonFiniteLossStopsWithTheStepAndGroup() {
    ModelConfig dense = Stage.dense(config);
    Map<String, TensorValue> weights = new LinkedHashMap<>(WeightInitializer.randomWeights(dense, 3));
    TensorValue kernel = weights.get(VariableNames.PROJECTOR_LINEAR_2 + "/kernel");
    float[] poisoned = kernel.data().clone();
    poisoned[0] = Float.NaN;
    weights.put(VariableNames.PROJECTOR_LINEAR_2 + "/kernel", new TensorValue(kernel.shape(), poisoned));
    Path init = dir.resolve("nan-init");
    new CheckpointWriter().write(init, dense, null, weights, TrainingState.imported(3));
    Path out = dir.resolve("nan-run");
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> StagesTest.runQuietly(
        TrainTestConfigs.options(config, "2", out, 0, false, init)));
    assertTrue(e.getMessage().startsWith("stage2 step 1: non-finite values (loss NaN"), e.getMessage());
    assertTrue(e.getMessage().contains("first non-finite gradient group: projector"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertFalse(Files.exists(new RunLayout(out).finalCheckpoint(Stage.STAGE2)), "nothing saved after the bad step");
  }
}
