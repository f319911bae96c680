package org.moellava.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.moellava.analysis.Pathway;
import org.moellava.analysis.RoutingAnalyzer;
import org.moellava.analysis.RoutingOutput;
import org.moellava.analysis.RoutingPlots;
import org.moellava.analysis.RoutingStatistics;
import org.moellava.data.ConversationDataset;
import org.moellava.data.synth.SynthDatasets;
import org.moellava.error.InvalidInputException;
import org.moellava.eval.model.EvalModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moellava analyze routing}: MoE-LLaVA's routing analysis (expert loading, modality, pathways). */
@Command(name = "analyze", description = "Analyse a trained model.", subcommands = {AnalyzeCommand.Routing.class})
public final class AnalyzeCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Router decisions over a dataset, as routing.json plus PNG figures. */
  @Command(name = "routing", description = "Expert loading per MoE layer, each expert's text/image split and the "
      + "top-10 activated pathways over a dataset: routing.json plus PNG figures.")
  static final class Routing implements Runnable {
    @Spec CommandSpec spec;

    @Mixin EvalModelOptions source;

    @Mixin EvalData data;

    @Option(names = "--batch", defaultValue = "16", description = "Conversations per forward pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--out", required = true, description = "Output directory (must not exist).")
    Path out;

    @Override
    public void run() {
      if (Files.exists(out)) {
        throw new InvalidInputException(out + ": already exists; choose a new --out directory (nothing was written)");
      }
      if (batch < 1) throw new InvalidInputException("--batch must be at least 1, got " + batch);
      long start = System.nanoTime();
      RoutingStatistics stats;
      source.check();
      try (EvalModel model = source.open()) {
        ConversationDataset dataset = data.synthetic()
            ? SynthDatasets.instructions(data.world(model.config()), data.parsedSplit()) : data.dataset();
        stats = new RoutingAnalyzer(model, batch).analyze(dataset, data.limit);
      }
      RoutingOutput.write(out, stats, source.path().toString(), data.describe());
      var o = spec.commandLine().getOut();
      o.printf(Locale.ROOT, "%d tokens (%d text, %d image), MoE layers %s, E=%d, k=%d%n", stats.totalTokens(),
          stats.tokens(false), stats.tokens(true), stats.layers(), stats.experts(), stats.topK());
      for (int l = 0; l < stats.layers().size(); l++) {
        StringBuilder sb = new StringBuilder("layer " + stats.layers().get(l) + " load:");
        for (int e = 0; e < stats.experts(); e++) {
          sb.append(String.format(Locale.ROOT, " e%d %.1f%% (img %.0f%%)", e, 100 * stats.loadShare(l, e),
              100 * stats.imageFraction(l, e)));
        }
        o.println(sb);
      }
      StringBuilder top = new StringBuilder("top pathways:");
      for (Pathway p : stats.topPathways(5, null)) {
        top.append(String.format(Locale.ROOT, " %s %.1f%%", p.label(), 100 * p.share()));
      }
      o.println(top);
      o.printf(Locale.ROOT, "wrote %s/{%s, %s, %s, %s} in %.1f s%n", out, RoutingOutput.JSON_FILE,
          RoutingPlots.EXPERT_LOADING, RoutingPlots.MODALITY, RoutingPlots.PATHWAYS, (System.nanoTime() - start) / 1e9);
    }
  }
}
