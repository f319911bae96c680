package org.moellava.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.hf.HfExporter;
import org.moellava.io.AtomicFiles;
import org.moellava.tensor.TensorValue;
import org.moellava.train.StageReplay;
import org.moellava.train.StageSummary;
import org.moellava.train.TrainingRun;

/**
 * {@code bench train}: training tokens/s of each MoE-Tuning stage (vision, I, II, III) over {@code steps} optimiser
 * steps on the synthetic world, in a scratch run directory that is deleted afterwards; then, when a Python with
 * torch and transformers is found, stages II and III side by side with PyTorch eager on the same shape: the
 * stage's starting weights exported with {@code export hf}, the same micro-batches, frozen groups, AdamW settings
 * and threads, alternating TF and PyTorch runs {@code rounds} times. Both count real tokens (attention-mask ones)
 * over the steps after {@link #WARMUP_STEPS}.
 */
public final class TrainBench {
  /** Steps of each compared run that are not timed (graph/allocator warm-up). */
  static final int WARMUP_STEPS = 3;
  private static final int THREADS = 2;
  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainBench() {}

  /**
   * @param compare whether to compare with PyTorch eager (when a Python with torch is found)
   * @param python the Python to use ({@code --python}); null: {@code MOELLAVA_PYTHON}, else {@code python3} on the
   *     PATH, skipped with the reason when that cannot import torch (a Python given explicitly must)
   * @param rounds alternating TF / PyTorch runs per compared stage
   * @param notes where a skipped comparison's reason is printed
   */
  public static BenchResult run(String presetName, ModelConfig config, int steps, boolean compare, String python,
      int rounds, PrintWriter notes) {
    if (compare && rounds < 1) {
      throw new org.moellava.error.InvalidInputException("--torch-rounds must be at least 1, got " + rounds);
    }
    if (compare && steps <= WARMUP_STEPS) {
      throw new org.moellava.error.InvalidInputException("--steps must exceed the " + WARMUP_STEPS
          + " warm-up steps for the PyTorch comparison, got " + steps);
    }
    Path work = AtomicFiles.stagingDirectoryFor(Path.of(System.getProperty("java.io.tmpdir"), "moellava-bench-train"));
    List<BenchResult.Figure> figures = new ArrayList<>();
    List<BenchResult.Ratio> ratios = new ArrayList<>();
    try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
      TorchTrainer.Found torch = compare ? TorchTrainer.find(TorchTrainer.Choice.of(python)) : null;
      Path run = work.resolve("run");
      List<StageSummary> stages = TrainingRun.run(new TrainingRun.Options(config, "all", "synth", run, steps, false,
          null, THREADS), quiet);
      for (StageSummary s : stages) {
        String at = presetName + " " + s.stage().label() + " (" + s.steps() + " steps): ";
        figures.add(new BenchResult.Figure(at + "training throughput", s.tokensPerSecond(), "tokens/s"));
        figures.add(new BenchResult.Figure(at + "peak RSS", s.peakRssMb(), "MB"));
      }
      if (torch != null && torch.trainer() == null) {
        notes.println("PyTorch comparison skipped: " + torch.skipReason());
        notes.flush();
      } else if (torch != null) {
        notes.println("PyTorch comparison: " + torch.trainer().versions() + ", " + rounds + " alternating rounds, OMP_WAIT_POLICY="
            + System.getenv().getOrDefault("OMP_WAIT_POLICY", TorchTrainer.OMP_WAIT_POLICY));
        notes.flush();
        for (String stage : List.of("2", "3")) {
          compare(presetName, config, steps, stage, rounds, torch.trainer(), run, work, quiet, figures, ratios);
        }
      }
      return new BenchResult("train", BenchResult.thisMachine(), figures, ratios);
    } finally {
      AtomicFiles.deleteRecursively(work);
    }
  }

  private static void compare(String presetName, ModelConfig config, int steps, String stage, int rounds,
      TorchTrainer torch, Path run, Path work, PrintStream quiet, List<BenchResult.Figure> figures,
      List<BenchResult.Ratio> ratios) {
    Path source = run.resolve(stage.equals("2") ? "stage1" : "stage2").resolve("final");
    ModelConfig model = StageReplay.stageModel(config, stage);
    Map<String, TensorValue> weights = StageReplay.startWeights(config, stage, source);
    Path hf = new HfExporter().export(model, weights, Map.of(), null, work.resolve("hf-stage" + stage));
    Path batches = work.resolve("batches-stage" + stage + ".safetensors");
    StageReplay.writeBatches(config, stage, steps, batches);
    double[] tf = new double[rounds];
    double[] pt = new double[rounds];
    double[] ratio = new double[rounds];
    double tfLoss = Double.NaN;
    double tfCe = Double.NaN;
    TorchTrainer.Run last = null;
    for (int r = 0; r < rounds; r++) {
      boolean torchFirst = r % 2 == 1; // alternate the order so a drifting machine load favours neither side
      if (torchFirst) last = torch.train(hf, batches, stage, StageReplay.settings(config, stage), WARMUP_STEPS,
          THREADS, work);
      Path dir = work.resolve("tf-stage" + stage + "-" + r);
      TrainingRun.run(new TrainingRun.Options(config, stage, "synth", dir, steps, false, source, THREADS), quiet);
      List<JsonNode> lines = metrics(dir.resolve("metrics.jsonl"));
      tf[r] = tokensPerSecond(lines);
      tfLoss = lines.get(0).get("loss").asDouble();
      tfCe = lines.get(0).get("ce").asDouble();
      if (!torchFirst) last = torch.train(hf, batches, stage, StageReplay.settings(config, stage), WARMUP_STEPS,
          THREADS, work);
      pt[r] = last.tokensPerSecond();
      ratio[r] = tf[r] / pt[r];
      AtomicFiles.deleteRecursively(dir);
    }
    String at = String.format(Locale.ROOT, "%s stage%s vs PyTorch eager (%d steps, %d timed, %d rounds): ",
        presetName, stage, steps, steps - WARMUP_STEPS, rounds);
    figures.add(new BenchResult.Figure(at + "TF tokens/s (median)", median(tf), "tokens/s"));
    figures.add(new BenchResult.Figure(at + "PyTorch tokens/s (median)", median(pt), "tokens/s"));
    figures.add(new BenchResult.Figure(at + "step-1 loss TF", tfLoss, ""));
    figures.add(new BenchResult.Figure(at + "step-1 loss PyTorch", last.firstLoss(), ""));
    figures.add(new BenchResult.Figure(at + "step-1 loss |TF - PyTorch| / PyTorch",
        Math.abs(tfLoss - last.firstLoss()) / Math.abs(last.firstLoss()) * 1e6, "ppm"));
    figures.add(new BenchResult.Figure(at + "step-1 ce TF", tfCe, ""));
    figures.add(new BenchResult.Figure(at + "step-1 ce PyTorch", last.firstCe(), ""));
    for (int r = 0; r < rounds; r++) {
      figures.add(new BenchResult.Figure(at + "round " + (r + 1) + " TF / PyTorch", ratio[r], "x"));
    }
    ratios.add(new BenchResult.Ratio(presetName + " stage" + stage + " TF / PyTorch eager tokens/s (median of rounds)",
        median(ratio), 1.0, false));
  }

  /** Real tokens over seconds of the steps after the warm-up, from a run's metrics.jsonl. */
  private static double tokensPerSecond(List<JsonNode> lines) {
    double tokens = 0;
    double seconds = 0;
    for (JsonNode line : lines.subList(WARMUP_STEPS, lines.size())) {
      tokens += line.get("tokens").asDouble();
      seconds += line.get("step_s").asDouble();
    }
    return tokens / seconds;
  }

  private static List<JsonNode> metrics(Path file) {
    try {
      List<JsonNode> out = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        if (!line.isBlank()) out.add(JSON.readTree(line));
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(file + ": cannot read the benchmark run's metrics: " + e.getMessage(), e);
    }
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
