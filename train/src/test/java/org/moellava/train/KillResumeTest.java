package org.moellava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;

/**
 * Kills a training process with SIGKILL, once mid-step and once mid-save (blocked inside the save after staging by
 * {@link CheckpointSaver#BLOCK_PROPERTY}), then resumes it: the resumed run's losses equal an uninterrupted run's,
 * and no checkpoint is ever found partial. Each run is a child JVM on the test classpath.
 */
@Tag("heavy")
class KillResumeTest {
  static final int STEPS = 12;
  @TempDir static Path dir;
  static Path configFile;
  static Path init;
  static List<Double> reference;

  @BeforeAll
  static void prepare() throws Exception {
    Path prep = dir.resolve("prep");
    StagesTest.runQuietly(TrainTestConfigs.options(TrainTestConfigs.micro(1, 0), "all", prep, 0, false, null));
    init = new RunLayout(prep).finalCheckpoint(Stage.STAGE2);
    ModelConfig config = TrainTestConfigs.micro(STEPS, 2);
    configFile = dir.resolve("config.json");
    TrainTestConfigs.write(config, configFile);
    Path out = dir.resolve("reference");
    ChildJvm child = Child.start(out, false, null);
    assertEquals(0, child.process().waitFor(), child.output());
    reference = StagesTest.losses(out.resolve("metrics.jsonl"));
    assertEquals(STEPS, reference.size());
  }

  @Test
  void killedMidStepResumesToTheSameLosses() throws Exception {
    Path out = dir.resolve("mid-step");
    ChildJvm child = Child.start(out, false, null);
    waitFor(() -> lines(out.resolve("metrics.jsonl")) >= 5, child);
    child.process().destroyForcibly(); // SIGKILL
    child.process().waitFor();
    assertNoPartialCheckpoint(out);
    resumeAndCompare(out);
  }

  @Test
  void killedMidSaveLeavesNoPartialCheckpointAndResumes() throws Exception {
    Path out = dir.resolve("mid-save");
    ChildJvm child = Child.start(out, false, "6");
    waitFor(() -> child.output().contains("moellava-test: save staged 6"), child);
    child.process().destroyForcibly();
    child.process().waitFor();
    Path checkpoints = new RunLayout(out).checkpoints(Stage.STAGE3);
    assertFalse(Files.exists(checkpoints.resolve("step-000006")), "the staged checkpoint was not published");
    assertTrue(Files.exists(checkpoints.resolve("step-000004")));
    assertNoPartialCheckpoint(out);
    resumeAndCompare(out);
  }

  private static void resumeAndCompare(Path out) throws Exception {
    ChildJvm resumed = Child.start(out, true, null);
    assertEquals(0, resumed.process().waitFor(), resumed.output());
    assertTrue(resumed.output().contains("resuming from"), resumed.output());
    List<Double> losses = StagesTest.losses(out.resolve("metrics.jsonl"));
    assertEquals(STEPS, losses.size(), "one metrics line per step");
    for (int i = 0; i < STEPS; i++) {
      assertEquals(reference.get(i), losses.get(i), 1e-4 * Math.abs(reference.get(i)), "loss at step " + (i + 1));
    }
    assertNoPartialCheckpoint(out);
    assertTrue(Files.isDirectory(new RunLayout(out).finalCheckpoint(Stage.STAGE3)));
  }

  /** Every visible checkpoint directory opens and restores completely. */
  private static void assertNoPartialCheckpoint(Path out) throws IOException {
    RunLayout layout = new RunLayout(out);
    List<Path> dirs = new ArrayList<>();
    Path checkpoints = layout.checkpoints(Stage.STAGE3);
    if (Files.isDirectory(checkpoints)) {
      try (Stream<Path> list = Files.list(checkpoints)) {
        list.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith(".")).forEach(dirs::add);
      }
    }
    if (Files.exists(layout.finalCheckpoint(Stage.STAGE3))) dirs.add(layout.finalCheckpoint(Stage.STAGE3));
    assertFalse(dirs.isEmpty(), "a checkpoint exists");
    for (Path d : dirs) {
      CheckpointReader reader = CheckpointReader.open(d);
      assertEquals(reader.variables().size(), reader.readVariables().size(), d.toString());
      reader.state();
    }
  }

  private static long lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  private static void waitFor(BooleanSupplier condition, ChildJvm child) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!condition.getAsBoolean()) {
      assertTrue(child.process().isAlive(), "child ended early: " + child.output());
      assertTrue(System.nanoTime() < deadline, "timed out; child output: " + child.output());
      Thread.sleep(20);
    }
  }

  /** A training child JVM with its output collected. */
  private static final class Child {
    static ChildJvm start(Path runDir, boolean resume, String blockAtStep) throws IOException {
      return ChildJvm.start(blockAtStep == null ? List.of() : List.of("-D" + CheckpointSaver.BLOCK_PROPERTY + "="
          + blockAtStep), TrainChild.class, List.of(configFile.toString(), "3", runDir.toString(),
          Boolean.toString(resume), init.toString()));
    }
  }
}
