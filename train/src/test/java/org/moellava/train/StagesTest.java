package org.moellava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.Upcycler;
import org.moellava.graph.variables.VariableGroup;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.WeightInitializer;

/**
 * Runs every stage on a micro model and checks what each stage may change: frozen variables bit-identical, every
 * trained variable changed; stage III starts from the upcycled stage-II model; metrics and checkpoints are written.
 */
class StagesTest {
  static final int STEPS = 3;
  @TempDir static Path dir;
  static ModelConfig config;
  static RunLayout run;
  static String output;

  @BeforeAll
  static void trainAllStages() {
    config = TrainTestConfigs.micro(STEPS, 2);
    run = new RunLayout(dir.resolve("run"));
    output = runQuietly(TrainTestConfigs.options(config, "all", run.root(), 0, false, null));
  }

  static String runQuietly(TrainingRun.Options options) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      TrainingRun.run(options, out);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void visionStageTrainsOnlyTheVisionTowerAndDropsTheHead() {
    Map<String, TensorValue> before = WeightInitializer.randomWeights(Stage.dense(config), config.training().seed());
    Map<String, TensorValue> after = TrainTestConfigs.read(run.finalCheckpoint(Stage.VISION));
    assertEquals(before.keySet(), after.keySet(), "the final checkpoint holds the dense model, without the head");
    // layers past the feature layer (-2) and post_layernorm do not affect the features: they stay as initialised
    assertChanges(before, after, name -> VariableNames.groupOf(name) == VariableGroup.VISION
        && !name.startsWith(VariableNames.visionLayer(1) + "/") && !name.startsWith(VariableNames.POST_LAYERNORM));
  }

  @Test
  void stage1TrainsOnlyTheProjector() {
    assertChanges(TrainTestConfigs.read(run.finalCheckpoint(Stage.VISION)),
        TrainTestConfigs.read(run.finalCheckpoint(Stage.STAGE1)), groups(VariableGroup.PROJECTOR));
  }

  @Test
  void stage2TrainsTheLlmAndProjectorNotVision() {
    assertChanges(TrainTestConfigs.read(run.finalCheckpoint(Stage.STAGE1)),
        TrainTestConfigs.read(run.finalCheckpoint(Stage.STAGE2)), groups(VariableGroup.PROJECTOR,
            VariableGroup.EMBEDDINGS, VariableGroup.ATTENTION, VariableGroup.NORMS, VariableGroup.FFN,
            VariableGroup.LM_HEAD));
  }

  @Test
  void stage3StartsUpcycledAndTrainsFfnExpertsRoutersProjector() {
    Map<String, TensorValue> upcycled = Upcycler.upcycle(config,
        TrainTestConfigs.read(run.finalCheckpoint(Stage.STAGE2)), config.training().seed() ^ TrainingRun.ROUTER_SEED);
    Map<String, TensorValue> after = TrainTestConfigs.read(run.finalCheckpoint(Stage.STAGE3));
    assertTrue(after.containsKey(VariableNames.routerKernel(0)), "stage 3 holds the MoE layer's router");
    assertChanges(upcycled, after, groups(VariableGroup.PROJECTOR, VariableGroup.FFN, VariableGroup.EXPERTS,
        VariableGroup.ROUTERS));
    assertEquals(config.textConfig(), CheckpointReader.open(run.finalCheckpoint(Stage.STAGE3)).config().textConfig());
  }

  @Test
  void metricsHaveOneLinePerStepWithRoutingFigures() throws IOException {
    List<JsonNode> lines = metrics(run.metrics());
    assertEquals(4 * STEPS, lines.size());
    JsonNode last = lines.get(lines.size() - 1);
    assertEquals("stage3", last.get("stage").asText());
    assertEquals(STEPS, last.get("step").asInt());
    for (String key : List.of("loss", "ce", "aux", "lr", "grad_norm", "tokens_per_s")) {
      assertTrue(last.get(key).isNumber(), key);
    }
    assertEquals(4, last.get("tokens_per_expert").get("0").size());
    double dropped = last.get("dropped_fraction").get("0").asDouble();
    assertTrue(dropped >= 0 && dropped < 1, "dropped fraction " + dropped);
    assertTrue(last.get("aux_per_layer").get("0").asDouble() > 0);
    assertTrue(output.contains("stage3 done"), output);
  }

  @Test
  void stage2AccumulatesTwoMicroBatchesPerStep() throws IOException {
    // micro config: stage 2 has batch 2 x 2 accumulation; its data cursor counts 4 samples per step
    assertEquals(STEPS * 4L, CheckpointReader.open(run.finalCheckpoint(Stage.STAGE2)).state().dataCursor());
  }

  @Test
  void sameSeedAndThreadsGiveTheSameLossesOver50Steps() throws IOException {
    ModelConfig longer = TrainTestConfigs.micro(50, 0);
    Path init = run.finalCheckpoint(Stage.STAGE2);
    List<Double> a = losses(runStage3(longer, dir.resolve("det-a"), init));
    List<Double> b = losses(runStage3(longer, dir.resolve("det-b"), init));
    assertEquals(50, a.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i), b.get(i), 1e-5 * Math.abs(a.get(i)), "loss at step " + (i + 1));
    }
    assertTrue(mean(a.subList(40, 50)) < mean(a.subList(0, 10)), "stage 3 loss goes down: " + a);
  }

  @Test
  void resumeFromAnOlderCheckpointRepeatsTheSameSteps() throws IOException {
    ModelConfig cfg = TrainTestConfigs.micro(8, 2);
    Path init = run.finalCheckpoint(Stage.STAGE2);
    Path out = dir.resolve("resume");
    List<Double> uninterrupted = losses(runStage3(cfg, out, init));
    // as if the process had died after saving step 6: no final, no step-8 checkpoint (latest names a missing dir)
    RunLayout layout = new RunLayout(out);
    org.moellava.io.AtomicFiles.deleteRecursively(layout.finalCheckpoint(Stage.STAGE3));
    org.moellava.io.AtomicFiles.deleteRecursively(layout.checkpoints(Stage.STAGE3).resolve("step-000008"));
    String log = runQuietly(new TrainingRun.Options(cfg, "3", "synth", out, 0, true, init, 1));
    assertTrue(log.contains("resuming from") && log.contains("step-000006"), log);
    List<Double> resumed = losses(out.resolve("metrics.jsonl"));
    assertEquals(uninterrupted.size(), resumed.size(), "one metrics line per step after the resume");
    for (int i = 0; i < resumed.size(); i++) {
      assertEquals(uninterrupted.get(i), resumed.get(i), 1e-5 * Math.abs(uninterrupted.get(i)), "step " + (i + 1));
    }
    assertTrue(Files.isDirectory(layout.finalCheckpoint(Stage.STAGE3)));
  }

  @Test
  void timedCheckpointsAreSavedMidStageAndAResumeAfterTheLastStepOnlyWritesTheFinal() throws IOException {
    ModelConfig cfg = TrainTestConfigs.micro(6, 0); // no step-based checkpoints: only the last step's, and timed ones
    Path init = run.finalCheckpoint(Stage.STAGE2);
    Path byStepsOnly = dir.resolve("steps-only");
    runQuietly(new TrainingRun.Options(cfg, "3", "synth", byStepsOnly, 0, false, init, 1, false, 0));
    assertEquals(List.of("step-000006"), names(new RunLayout(byStepsOnly).checkpoints(Stage.STAGE3)));

    Path out = dir.resolve("timed");
    runQuietly(new TrainingRun.Options(cfg, "3", "synth", out, 0, false, init, 1, false, 1e-9)); // every step
    RunLayout layout = new RunLayout(out);
    assertEquals(List.of("step-000005", "step-000006"), names(layout.checkpoints(Stage.STAGE3)),
        "a save after every step, the newest 2 kept");

    // killed after the step-6 checkpoint, while the final checkpoint was being staged
    org.moellava.io.AtomicFiles.deleteRecursively(layout.finalCheckpoint(Stage.STAGE3));
    Path staging = Files.createDirectories(layout.stageDir(Stage.STAGE3).resolve(".final.12345"));
    String log = runQuietly(new TrainingRun.Options(cfg, "3", "synth", out, 0, true, init, 1));
    assertTrue(log.contains("resuming from") && log.contains("(step 6 of 6)"), log);
    assertTrue(log.contains("all 6 steps had run before this resume"), log);
    assertFalse(log.contains("NaN") || log.contains("7..6"), log);
    assertFalse(Files.exists(staging), "the half-written final checkpoint is cleaned up");
    assertTrue(Files.isDirectory(layout.finalCheckpoint(Stage.STAGE3)));
  }

  @Test
  void resumeWithoutACheckpointSaysItStartsOver() {
    ModelConfig cfg = TrainTestConfigs.micro(2, 0);
    Path out = dir.resolve("fresh-resume");
    String log = runQuietly(new TrainingRun.Options(cfg, "3", "synth", out, 0, true, run.finalCheckpoint(Stage.STAGE2),
        1));
    assertTrue(log.contains("no step checkpoint in") && log.contains("starts at step 0"), log);
  }

  private static List<String> names(Path dir) throws IOException {
    try (var list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).sorted().toList();
    }
  }

  private static Path runStage3(ModelConfig cfg, Path out, Path init) {
    runQuietly(new TrainingRun.Options(cfg, "3", "synth", out, 0, false, init, 1));
    return out.resolve("metrics.jsonl");
  }

  static List<Double> losses(Path metrics) throws IOException {
    List<Double> out = new ArrayList<>();
    for (JsonNode n : metrics(metrics)) out.add(n.get("loss").asDouble());
    return out;
  }

  static List<JsonNode> metrics(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) out.add(json.readTree(line));
    return out;
  }

  private static double mean(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  private static java.util.function.Predicate<String> groups(VariableGroup... trained) {
    Set<VariableGroup> set = EnumSet.noneOf(VariableGroup.class);
    set.addAll(Arrays.asList(trained));
    return name -> set.contains(VariableNames.groupOf(name));
  }

  /** Trained variables must differ from {@code before}; every other variable must be bit-identical. */
  static void assertChanges(Map<String, TensorValue> before, Map<String, TensorValue> after,
      java.util.function.Predicate<String> trained) {
    int changed = 0;
    for (Map.Entry<String, TensorValue> e : after.entrySet()) {
      TensorValue old = before.get(e.getKey());
      assertNotNull(old, "variable " + e.getKey() + " appeared");
      boolean same = Arrays.equals(old.data(), e.getValue().data());
      if (trained.test(e.getKey())) {
        assertFalse(same, "trained variable " + e.getKey() + " did not change");
        changed++;
      } else {
        assertTrue(same, "frozen variable " + e.getKey() + " changed");
      }
    }
    assertTrue(changed > 0, "no trained variables");
  }
}
