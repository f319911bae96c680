package org.moellava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.tensor.TensorValue;
import org.moellava.train.distributed.LocalCluster;

/**
 * Synchronous data-parallel training on TensorFlow's gRPC runtime with two worker JVMs on loopback: it equals one
 * process on the whole batch (the shards' gradients and losses are combined by their label-token counts), runs every
 * stage with the chief's checkpoints read by the other worker, logs stage III's aux loss and expert loads per worker
 * and globally, and a killed worker stops the other within the collective timeout; --resume then reproduces the
 * uninterrupted run.
 */
@Tag("heavy")
class DistributedTrainingTest {
  static final int STEPS = 20;
  static final double TIMEOUT_S = 10;
  @TempDir static Path dir;
  static Path tinyInit;
  static Path single;
  static Path distributed;

  @BeforeAll
  static void prepare() throws Exception {
    ModelConfig tiny = Presets.get(Presets.TINY);
    Path prep = dir.resolve("prep");
    StagesTest.runQuietly(TrainTestConfigs.options(tiny, "vision", prep, 1, false, null));
    StagesTest.runQuietly(TrainTestConfigs.options(tiny, "1", prep, 1, false, null));
    tinyInit = new RunLayout(prep).finalCheckpoint(Stage.STAGE1);
    single = dir.resolve("single");
    StagesTest.runQuietly(TrainTestConfigs.options(tiny, "2", single, STEPS, false, tinyInit));
    distributed = dir.resolve("distributed");
    assertEquals(0, LocalCluster.run(DistributedTrainChild.class.getName(),
        List.of("tiny", "2", distributed.toString(), "false", tinyInit.toString(), Integer.toString(STEPS), "0"),
        distributed, 2, 60, System.out));
  }

  @Test
  void twoWorkersOfEightRowsEqualOneProcessOfSixteen() throws IOException {
    List<Double> expected = StagesTest.losses(single.resolve("metrics.jsonl"));
    List<Double> actual = StagesTest.losses(distributed.resolve("metrics.jsonl"));
    assertEquals(STEPS, expected.size());
    assertEquals(STEPS, actual.size());
    for (int i = 0; i < STEPS; i++) {
      assertEquals(expected.get(i), actual.get(i), 1e-5 * Math.abs(expected.get(i)), "loss at step " + (i + 1));
    }
    Map<String, TensorValue> a = TrainTestConfigs.read(new RunLayout(single).finalCheckpoint(Stage.STAGE2));
    Map<String, TensorValue> b = TrainTestConfigs.read(new RunLayout(distributed).finalCheckpoint(Stage.STAGE2));
    assertEquals(a.keySet(), b.keySet());
    for (String name : a.keySet()) {
      float[] x = a.get(name).data();
      float[] y = b.get(name).data();
      assertEquals(x.length, y.length, name);
      for (int k = 0; k < x.length; k++) assertEquals(x[k], y[k], 1e-5, name + "[" + k + "]");
    }
    // the shards really differ: each worker's own loss is not the global one
    JsonNode first = StagesTest.metrics(distributed.resolve("metrics.jsonl")).get(0);
    double w0 = first.get("workers").get("0").get("loss").asDouble();
    double w1 = first.get("workers").get("1").get("loss").asDouble();
    assertTrue(Math.abs(w0 - w1) > 1e-4, "worker losses " + w0 + " and " + w1);
    assertTrue(Math.min(w0, w1) < actual.get(0) && actual.get(0) < Math.max(w0, w1));
  }

  @Test
  void everyStageRunsWithTwoWorkersAndStageThreeLogsEachWorker() throws Exception {
    ModelConfig micro = TrainTestConfigs.micro(3, 0);
    Path config = dir.resolve("micro.json");
    TrainTestConfigs.write(micro, config);
    Path one = dir.resolve("micro-single");
    StagesTest.runQuietly(TrainTestConfigs.options(micro, "all", one, 0, false, null));
    Path two = dir.resolve("micro-two");
    assertEquals(0, LocalCluster.run(DistributedTrainChild.class.getName(),
        List.of(config.toString(), "all", two.toString(), "false", "-", "0", "0"), two, 2, 60, System.out));
    List<JsonNode> expected = StagesTest.metrics(one.resolve("metrics.jsonl"));
    List<JsonNode> actual = StagesTest.metrics(two.resolve("metrics.jsonl"));
    assertEquals(expected.size(), actual.size());
    JsonNode firstVision = actual.get(0);
    assertEquals("vision", firstVision.get("stage").asText());
    // the vision loss sums masked means (colour and size only where an object is), each taken per shard: close to,
    // not equal to, the single process's
    double e0 = expected.get(0).get("loss").asDouble();
    assertEquals(e0, firstVision.get("loss").asDouble(), 0.02 * e0, "vision step 1");
    int stage3 = 0;
    for (JsonNode line : actual) {
      if (!line.get("stage").asText().equals("stage3")) continue;
      stage3++; // capacity is per worker in stage III, so its losses are not the single process's
      JsonNode workers = line.get("workers");
      double minAux = Double.MAX_VALUE;
      double maxAux = -Double.MAX_VALUE;
      for (String w : List.of("0", "1")) {
        JsonNode worker = workers.get(w);
        assertTrue(worker.get("aux_per_layer").size() > 0, line.toString());
        minAux = Math.min(minAux, worker.get("aux").asDouble());
        maxAux = Math.max(maxAux, worker.get("aux").asDouble());
      }
      double aux = line.get("aux").asDouble();
      assertTrue(minAux - 1e-6 <= aux && aux <= maxAux + 1e-6, "global aux " + aux + " within the workers'");
      for (Iterator<String> it = line.get("tokens_per_expert").fieldNames(); it.hasNext(); ) {
        String layer = it.next();
        JsonNode global = line.get("tokens_per_expert").get(layer);
        for (int e = 0; e < global.size(); e++) {
          long sum = workers.get("0").get("tokens_per_expert").get(layer).get(e).asLong()
              + workers.get("1").get("tokens_per_expert").get(layer).get(e).asLong();
          assertEquals(sum, global.get(e).asLong(), "layer " + layer + " expert " + e + " load");
        }
      }
    }
    assertEquals(3, stage3);
    assertTrue(Files.isDirectory(new RunLayout(two).finalCheckpoint(Stage.STAGE3)));
    assertEquals(actual.size(), StagesTest.metrics(two.resolve("worker-1.metrics.jsonl")).size(),
        "worker 1 logs its own view of every step");

    // micro's stage 2 accumulates 2 micro-batches of 2 rows (1 row per worker): equal to the single process
    Path accumulating = dir.resolve("micro-two-stage2");
    Path init = new RunLayout(one).finalCheckpoint(Stage.STAGE1);
    assertEquals(0, LocalCluster.run(DistributedTrainChild.class.getName(),
        List.of(config.toString(), "2", accumulating.toString(), "false", init.toString(), "0", "0"), accumulating, 2,
        60, System.out));
    List<Double> single = new ArrayList<>();
    for (JsonNode line : expected) {
      if (line.get("stage").asText().equals("stage2")) single.add(line.get("loss").asDouble());
    }
    List<Double> two2 = StagesTest.losses(accumulating.resolve("metrics.jsonl"));
    assertEquals(single.size(), two2.size());
    for (int i = 0; i < single.size(); i++) {
      assertEquals(single.get(i), two2.get(i), 1e-5 * Math.abs(single.get(i)), "stage2 step " + (i + 1));
    }
  }

  @Test
  void aKilledWorkerStopsTheOtherWithinTheTimeoutAndResumeReproducesTheRun() throws Exception {
    Path out = dir.resolve("killed");
    Path cluster = clusterFile(dir.resolve("killed-cluster.json"));
    ChildJvm chief = Child.start(out, cluster, 0, false);
    ChildJvm other = Child.start(out, cluster, 1, false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (lines(out.resolve("metrics.jsonl")) < 8) {
      assertTrue(chief.process().isAlive(), chief.output());
      assertTrue(System.nanoTime() < deadline, chief.output());
      Thread.sleep(20);
    }
    other.process().destroyForcibly(); // SIGKILL task 1 mid-run
    long killed = System.nanoTime();
    assertTrue(chief.process().waitFor((long) TIMEOUT_S + 30, TimeUnit.SECONDS), "the chief did not stop");
    double seconds = (System.nanoTime() - killed) / 1e9;
    assertTrue(seconds < TIMEOUT_S + 15, "stopped after " + seconds + " s");
    assertEquals(1, chief.process().exitValue(), chief.output());
    String error = chief.output().lines().filter(l -> l.startsWith("moellava: error:")).findFirst().orElse("");
    assertTrue(error.contains("task 1") && error.contains("not reachable"), chief.output());
    assertNoPartialCheckpoint(out);

    Path resumedCluster = clusterFile(dir.resolve("resumed-cluster.json"));
    ChildJvm chief2 = Child.start(out, resumedCluster, 0, true);
    ChildJvm other2 = Child.start(out, resumedCluster, 1, true);
    assertTrue(chief2.process().waitFor(300, TimeUnit.SECONDS), chief2.output());
    assertTrue(other2.process().waitFor(60, TimeUnit.SECONDS), other2.output());
    assertEquals(0, chief2.process().exitValue(), chief2.output());
    assertEquals(0, other2.process().exitValue(), other2.output());
    assertTrue(chief2.output().contains("resuming from"), chief2.output());
    List<Double> expected = StagesTest.losses(distributed.resolve("metrics.jsonl"));
    List<Double> actual = StagesTest.losses(out.resolve("metrics.jsonl"));
    assertEquals(STEPS, actual.size(), "one metrics line per step");
    for (int i = 0; i < STEPS; i++) {
      assertEquals(expected.get(i), actual.get(i), 1e-5 * Math.abs(expected.get(i)), "loss at step " + (i + 1));
    }
    assertNoPartialCheckpoint(out);
  }

  @Test
  void aWorkerWhoseGroupLeaderNeverJoinsStopsNamingIt() throws Exception {
    Path out = dir.resolve("alone");
    ChildJvm alone = Child.start(out, clusterFile(dir.resolve("alone-cluster.json")), 1, false); // task 0 never starts
    assertTrue(alone.process().waitFor(180, TimeUnit.SECONDS), "task 1 did not stop: " + alone.output());
    assertEquals(1, alone.process().exitValue(), alone.output());
    String error = alone.output().lines().filter(l -> l.startsWith("moellava: error:")).findFirst().orElse("");
    assertTrue(error.contains("task 0 (127.0.0.1:") && error.contains("not reachable"), alone.output());
    assertFalse(Files.exists(new RunLayout(out).checkpoints(Stage.STAGE2)), "a non-chief writes no checkpoint");
  }

  private static Path clusterFile(Path file) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    StringBuilder json = new StringBuilder("{\"chief\": 0, \"timeout_seconds\": " + TIMEOUT_S + ", \"workers\": [");
    for (int t = 0; t < 2; t++) {
      ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      held.add(s);
      json.append(t == 0 ? "" : ", ").append("{\"task\": ").append(t).append(", \"address\": \"127.0.0.1:")
          .append(s.getLocalPort()).append("\"}");
    }
    for (ServerSocket s : held) s.close();
    Files.writeString(file, json.append("]}").toString());
    return file;
  }

  /** Every visible stage-2 checkpoint opens and reads completely. */
  private static void assertNoPartialCheckpoint(Path out) throws IOException {
    Path checkpoints = new RunLayout(out).checkpoints(Stage.STAGE2);
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> list = Files.list(checkpoints)) {
      list.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith(".")).forEach(dirs::add);
    }
    assertFalse(dirs.isEmpty(), "a checkpoint exists");
    for (Path d : dirs) {
      CheckpointReader reader = CheckpointReader.open(d);
      assertEquals(reader.variables().size(), reader.readVariables().size(), d.toString());
    }
  }

  private static long lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** A worker JVM on tiny stage 2 with a step checkpoint about every step. */
  private static final class Child {
    static ChildJvm start(Path runDir, Path cluster, int task, boolean resume) throws IOException {
      return ChildJvm.start(List.of(), DistributedTrainChild.class, List.of("tiny", "2", runDir.toString(),
          Boolean.toString(resume), tinyInit.toString(), Integer.toString(STEPS), "0.002", "--cluster",
          cluster.toString(), "--task", Integer.toString(task)));
    }
  }
}
