package org.moellava.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import java.util.ArrayList;
import java.util.List;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.moellava.train.TrainingRun;
import org.moellava.train.distributed.ClusterSpec;
import org.moellava.train.distributed.LocalCluster;
import org.moellava.train.distributed.Worker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moellava train}: the three-stage MoE-Tuning recipe (plus vision pretraining on the synthetic world). */
@Command(name = "train", description = "Train with MoE-Tuning: vision pretraining (synthetic world), stage 1 "
    + "(projector on captions), stage 2 (LLM + projector on instructions), stage 3 (upcycled MoE: FFNs, experts, "
    + "routers, projector).")
public final class TrainCommand implements Runnable {
  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, description = "A preset (tiny, small, ...) or a config.json file.")
  String config;

  @Option(names = "--stage", required = true, description = "vision, 1, 2, 3 or all (vision, 1, 2, 3 in order).")
  String stage;

  @Option(names = "--data", required = true, description = "A LLaVA-format dataset directory, or 'synth' for the "
      + "built-in synthetic world (seeded by training.seed).")
  String data;

  @Option(names = "--out", required = true, description = "The run directory (RUN_DIR).")
  Path out;

  @Option(names = "--max-steps", defaultValue = "0", description = "Cap every stage at this many steps (0: the config's).")
  int maxSteps;

  @Option(names = "--resume", description = "Continue an interrupted run exactly; finished stages are skipped.")
  boolean resume;

  @Option(names = "--init", description = "Checkpoint the first stage starts from (default: the previous stage's "
      + "RUN_DIR/<stage>/final).")
  Path init;

  @Option(names = "--threads", defaultValue = "2", description = "TensorFlow threads (fixed for reproducible runs; "
      + "default ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--skip-bad", description = "Skip (and count) dataset entries with a missing or undecodable image "
      + "or a misplaced <image> instead of failing on the first.")
  boolean skipBad;

  @Option(names = "--checkpoint-minutes", defaultValue = "5", description = "Also save a step checkpoint when this "
      + "many minutes passed since the last one, so a killed run loses at most that (0: only the config's "
      + "checkpoint_every steps). Default: ${DEFAULT-VALUE}.")
  double checkpointMinutes;

  @Option(names = "--cluster", description = "Distributed training: the cluster file (JSON: chief, workers' task and "
      + "host:port, optional timeout_seconds); needs --task. TensorFlow's gRPC runtime has no authentication: "
      + "private networks only.")
  Path cluster;

  @Option(names = "--task", description = "This process's task index in --cluster.")
  Integer task;

  @Option(names = "--local-workers", description = "Distributed training on this machine: start N worker JVMs on "
      + "loopback ports (RUN_DIR/cluster.json) and wait for them; worker i logs to RUN_DIR/worker-i.log.")
  Integer localWorkers;

  @Option(names = "--collective-timeout", defaultValue = "60", description = "With --local-workers: seconds a worker "
      + "waits in an all-reduce for the others before it stops naming the missing task (default ${DEFAULT-VALUE}).")
  double collectiveTimeout;

  @Override
  public void run() {
    if (localWorkers != null && (cluster != null || task != null)) {
      throw new InvalidInputException("--local-workers starts its own cluster: drop --cluster and --task");
    }
    if ((cluster == null) != (task == null)) {
      throw new InvalidInputException(cluster == null ? "--task needs --cluster FILE" : "--cluster needs --task N");
    }
    if (!(collectiveTimeout > 0)) {
      throw new InvalidInputException("--collective-timeout must be a positive number of seconds");
    }
    ModelConfig model = Presets.resolve(config);
    PrintWriter writer = spec.commandLine().getOut();
    try (PrintStream stream = new PrintStream(new WriterOutputStream(writer), true, StandardCharsets.UTF_8)) {
      if (localWorkers != null) {
        int code = LocalCluster.run(Main.class.getName(), withoutLocalWorkers(), out, localWorkers, collectiveTimeout,
            stream);
        if (code != 0) {
          throw new MoeLlavaException("the local training cluster failed (exit code " + code + "; the worker's "
              + "error is above, or in RUN_DIR/worker-N.log)", code);
        }
        return;
      }
      Worker worker = null;
      if (cluster != null) {
        worker = new Worker(ClusterSpec.read(cluster), cluster, task, threads);
      }
      TrainingRun.run(new TrainingRun.Options(model, stage, data, out, maxSteps, resume, init, threads, skipBad,
          checkpointMinutes), stream, worker);
    }
  }

  /** The original arguments minus {@code --local-workers N} / {@code --local-workers=N} / --collective-timeout. */
  private List<String> withoutLocalWorkers() {
    List<String> in = spec.root().commandLine().getParseResult().originalArgs();
    List<String> outArgs = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      String a = in.get(i);
      if (a.equals("--local-workers") || a.equals("--collective-timeout")) {
        i++;
      } else if (!a.startsWith("--local-workers=") && !a.startsWith("--collective-timeout=")) {
        outArgs.add(a);
      }
    }
    return outArgs;
  }
}
