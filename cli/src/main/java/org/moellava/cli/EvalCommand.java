package org.moellava.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.moellava.data.synth.SynthWorld;
import org.moellava.eval.DatasetBenchmark;
import org.moellava.eval.EvalReport;
import org.moellava.eval.EvalSuite;
import org.moellava.eval.Evaluation;
import org.moellava.eval.SyntheticBenchmark;
import org.moellava.eval.model.EvalModel;
import org.moellava.eval.model.ModelAnswerer;
import org.moellava.error.InvalidInputException;
import org.moellava.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moellava eval}: VQA, POPE and caption scores of a checkpoint (TensorFlow graphs) or an exported package
 * (ONNX Runtime), by greedy decoding.
 */
@Command(name = "eval", description = "Evaluate a checkpoint or package: VQA accuracy, POPE (random/popular/adversarial) and "
    + "caption object precision/recall/CHAIR, with greedy decoding through the TensorFlow inference graphs.")
public final class EvalCommand implements Runnable {
  @Spec CommandSpec spec;

  @Mixin EvalModelOptions source;

  @Option(names = "--suite", defaultValue = "all", description = "vqa, pope, caption or all (default ${DEFAULT-VALUE}).")
  String suite;

  @Mixin EvalData data;

  @Option(names = "--batch", defaultValue = "16", description = "Prompts per decode (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--out", description = "Write the report as JSON here (and the markdown table beside it, .md).")
  Path out;

  @Override
  public void run() {
    EvalSuite s = EvalSuite.parse(suite);
    if (batch < 1) throw new InvalidInputException("--batch must be at least 1, got " + batch);
    long start = System.nanoTime();
    EvalReport report;
    int prompts;
    int tokens;
    source.check();
    try (EvalModel model = source.open()) {
      ModelAnswerer answerer = new ModelAnswerer(model, batch);
      String name = model.name();
      if (data.synthetic()) {
        SynthWorld world = data.world(model.config());
        report = Evaluation.synthetic(name, new SyntheticBenchmark(world, data.parsedSplit()), s, answerer, answerer);
      } else {
        if (s == EvalSuite.ALL) spec.commandLine().getErr().println("moellava: note: a dataset has no object annotations; running VQA only");
        report = Evaluation.dataset(name, new DatasetBenchmark(data.dataset(), data.limit), s, answerer);
      }
      prompts = answerer.decodedPrompts();
      tokens = answerer.generatedTokens();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (out != null) {
      AtomicFiles.writeString(out, report.toJson() + "\n");
      AtomicFiles.writeString(markdownPath(out), report.toMarkdown());
    }
    spec.commandLine().getOut().print(report.toMarkdown());
    spec.commandLine().getOut().printf(Locale.ROOT, "%n%d prompts, %d generated tokens in %.1f s (%s)%s%n", prompts, tokens,
        seconds, data.describe(), out == null ? "" : "; wrote " + out + " and " + markdownPath(out));
  }

  private static Path markdownPath(Path json) {
    String name = json.getFileName().toString();
    String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
    return json.resolveSibling(stem + ".md");
  }
}
