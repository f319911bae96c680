package org.moellava.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.train.TrainingRun;
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

  @Override
  public void run() {
    ModelConfig model = Presets.resolve(config);
    PrintWriter writer = spec.commandLine().getOut();
    try (PrintStream stream = new PrintStream(new WriterOutputStream(writer), true, StandardCharsets.UTF_8)) {
      TrainingRun.run(new TrainingRun.Options(model, stage, data, out, maxSteps, resume, init, threads, skipBad,
          checkpointMinutes), stream);
    }
  }
}
