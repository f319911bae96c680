package org.moellava.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.moellava.analysis.RoutingAnalyzer;
import org.moellava.analysis.RoutingOutput;
import org.moellava.analysis.RoutingStatistics;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.data.LlavaDatasetWriter;
import org.moellava.data.Split;
import org.moellava.data.synth.SynthDatasets;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.eval.EvalReport;
import org.moellava.eval.EvalSuite;
import org.moellava.eval.Evaluation;
import org.moellava.eval.SyntheticBenchmark;
import org.moellava.eval.model.CheckpointModel;
import org.moellava.eval.model.ModelAnswerer;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.io.AtomicFiles;
import org.moellava.train.StageSummary;
import org.moellava.train.TrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moellava demo}: the whole system on the built-in {@code tiny} model, end to end: synthetic world, vision
 * pretraining, MoE-Tuning stages I-III, evaluation of the dense (stage II) and MoE (stage III) models, export to an
 * ONNX package, conformance of TensorFlow vs ONNX Runtime, and routing analysis. Writes {@code report.md} and
 * {@code summary.json} into the run directory and prints a summary table.
 */
@Command(name = "demo", description = "Run the whole pipeline on the built-in tiny model: synthetic data, vision "
    + "pretraining, MoE-Tuning stages I-III, evaluation (dense vs MoE), ONNX export, conformance, routing analysis.")
public final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", defaultValue = "runs/demo", description = "Run directory (default ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--force", description = "Replace an existing run directory.")
  boolean force;

  @Option(names = "--quick", description = "A shortened run (a few steps per stage, few evaluation images): the "
      + "same path in about a minute, for smoke tests. Quality floors are not judged.")
  boolean quick;

  @Option(names = "--eval-images", description = "Held-out test images evaluated (default 200; 4 with --quick).")
  Integer evalImages;

  @Option(names = "--serve", description = "Then serve the exported package (OpenAI-compatible API and web page).")
  boolean serve;

  @Option(names = "--port", defaultValue = "8000", description = "Port for --serve (default ${DEFAULT-VALUE}).")
  int port;

  @Override
  public Integer call() throws IOException {
    if (Files.exists(out)) {
      if (!force) {
        throw new InvalidInputException(out + ": already exists; pass --force to replace it, or choose --out DIR");
      }
      AtomicFiles.deleteRecursively(out);
    }
    Files.createDirectories(out);
    int images = evalImages != null ? evalImages : quick ? 4 : 200;
    if (images < 1) throw new InvalidInputException("--eval-images must be at least 1, got " + images);
    PrintWriter console = spec.commandLine().getOut();
    ModelConfig config = Presets.get(Presets.TINY);
    DemoSummary summary = new DemoSummary();
    summary.quick = quick;
    Path trainDir = out.resolve("train");
    Path dense = trainDir.resolve("stage2").resolve("final");
    Path moe = trainDir.resolve("stage3").resolve("final");
    Path pkg = out.resolve("package");
    SynthWorld testWorld = new SynthWorld(SynthWorldConfig.defaults(config.training().seed())
        .withImageSize(config.visionConfig().imageSize()).withSplits(SynthWorldConfig.defaults(0).trainImages(),
            SynthWorldConfig.defaults(0).valImages(), images));

    try (PrintStream log = new PrintStream(new WriterOutputStream(console), true, StandardCharsets.UTF_8)) {
      step(summary, log, "1 synthetic world", () -> {
        LlavaDatasetWriter.write(SynthDatasets.instructions(testWorld, Split.TEST), out.resolve("data").resolve("test"));
        SynthVocabulary.writeTokenizer(out.resolve("data").resolve("tokenizer.json"), config.textConfig().vocabSize());
        log.printf(Locale.ROOT, "wrote the held-out test split (%d images) to %s; training reads the world on the fly%n",
            images, out.resolve("data"));
      });

      List<StageSummary> stages = timed(log, "2-3 training (vision, stage I, II, III)", () -> TrainingRun.run(
          new TrainingRun.Options(config, "all", "synth", trainDir, quick ? 3 : 0, false, null, 2), log));
      String[] names = {"2 vision pretraining", "3a stage I (projector)", "3b stage II (LLM)", "3c stage III (MoE)"};
      for (int i = 0; i < stages.size() && i < names.length; i++) {
        summary.stepSeconds.put(names[i], stages.get(i).wallSeconds());
      }

      step(summary, log, "4 evaluation (dense, MoE)", () -> {
        summary.models.put("dense", evaluate(dense, testWorld, "dense (stage II)", log));
        summary.models.put("moe", evaluate(moe, testWorld, "MoE (stage III)", log));
      });

      step(summary, log, "5 export (ONNX package)", () -> {
        PackageExporter.Result r = new PackageExporter(ExportOptions.defaults()).export(moe, pkg);
        log.printf(Locale.ROOT, "exported %s (%.1f MB) in %.1f s%n", pkg, PackageExporter.sizeOf(pkg) / 1e6, r.seconds());
      });

      step(summary, log, "6 conformance (TF vs ORT)", () -> {
        summary.conformance = ConformanceCommand.run(moe, pkg, null, Set.of("ort-cpu"),
            org.moellava.pkg.PackageManifestIO.read(pkg), quick ? 2 : 6, 1234);
        summary.conformance.write(out.resolve("conformance.json"));
        log.print(summary.conformance.table());
      });

      step(summary, log, "7 routing analysis", () -> {
        RoutingStatistics stats;
        try (CheckpointModel model = CheckpointModel.open(moe)) {
          stats = new RoutingAnalyzer(model, 16).analyze(SynthDatasets.instructions(testWorld, Split.TEST), images);
        }
        RoutingOutput.write(out.resolve("routing"), stats, moe.toString(), "synthetic test split, " + images + " images");
        log.printf(Locale.ROOT, "%d tokens routed; plots in %s%n", stats.totalTokens(), out.resolve("routing"));
      });
    }

    AtomicFiles.writeString(out.resolve("summary.json"), summary.toJson());
    AtomicFiles.writeString(out.resolve("report.md"), DemoReport.markdown(summary, out));
    console.println();
    console.print(summary.table());
    console.println("wrote " + out.resolve("report.md") + " and " + out.resolve("summary.json"));
    console.flush();
    int code = summary.conformance.passed() ? 0 : 1;
    if (serve && code == 0) {
      return Main.run(new String[] {"serve", "--package", pkg.toString(), "--port", Integer.toString(port)}, console,
          spec.commandLine().getErr());
    }
    return code;
  }

  private EvalReport evaluate(Path checkpoint, SynthWorld world, String name, PrintStream log) {
    try (CheckpointModel model = CheckpointModel.open(checkpoint)) {
      ModelAnswerer answerer = new ModelAnswerer(model, 16);
      EvalReport report = Evaluation.synthetic(name, new SyntheticBenchmark(world, Split.TEST), EvalSuite.ALL,
          answerer, answerer);
      Path json = out.resolve("eval").resolve(name.startsWith("dense") ? "dense.json" : "moe.json");
      AtomicFiles.writeString(json, report.toJson() + "\n");
      log.print(report.toMarkdown());
      return report;
    }
  }

  private static void step(DemoSummary summary, PrintStream log, String name, Runnable body) {
    long start = System.nanoTime();
    log.println("== " + name);
    body.run();
    summary.stepSeconds.put(name, (System.nanoTime() - start) / 1e9);
  }

  private static <T> T timed(PrintStream log, String name, java.util.function.Supplier<T> body) {
    log.println("== " + name);
    return body.get();
  }
}
