package org.moellava.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.io.AtomicFiles;
import org.moellava.train.StageSummary;
import org.moellava.train.TrainingRun;

/**
 * {@code bench train}: training tokens/s of each MoE-Tuning stage (vision, I, II, III) over {@code steps} optimiser
 * steps on the synthetic world, in a scratch run directory that is deleted afterwards.
 */
public final class TrainBench {
  private TrainBench() {}

  public static BenchResult run(String presetName, ModelConfig config, int steps) {
    Path work = AtomicFiles.stagingDirectoryFor(Path.of(System.getProperty("java.io.tmpdir"), "moellava-bench-train"));
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
      List<StageSummary> stages = TrainingRun.run(new TrainingRun.Options(config, "all", "synth",
          work.resolve("run"), steps, false, null, 2), quiet);
      List<BenchResult.Figure> figures = new ArrayList<>();
      for (StageSummary s : stages) {
        String at = presetName + " " + s.stage().label() + " (" + s.steps() + " steps): ";
        figures.add(new BenchResult.Figure(at + "training throughput", s.tokensPerSecond(), "tokens/s"));
        figures.add(new BenchResult.Figure(at + "peak RSS", s.peakRssMb(), "MB"));
      }
      return new BenchResult("train", BenchResult.thisMachine(), figures, List.of());
    } finally {
      AtomicFiles.deleteRecursively(work);
    }
  }
}
