package org.moellava.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import org.moellava.config.ModelConfig;
import org.moellava.config.ModelConfigIO;
import org.moellava.config.ParameterCount;
import org.moellava.config.Presets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code moellava config show|validate|params}. */
@Command(name = "config", description = "Show, validate and size model configs.",
    subcommands = {ConfigCommand.Show.class, ConfigCommand.Validate.class, ConfigCommand.Params.class})
public final class ConfigCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code config show PRESET|FILE}: the full config as JSON. */
  @Command(name = "show", description = "Print a preset or config file as config.json.")
  static final class Show implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "PRESET|FILE", description = "A preset (tiny, small, moe-llava-qwen-1.8b-4e) or a config.json.")
    String config;

    @Override
    public void run() {
      spec.commandLine().getOut().print(ModelConfigIO.toJson(Presets.resolve(config)));
      spec.commandLine().getOut().flush();
    }
  }

  /** {@code config validate FILE}: exit 0 when valid, 2 with a one-line error otherwise. */
  @Command(name = "validate", description = "Check a config.json; exit code 2 with a one-line error when invalid.")
  static final class Validate implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The config.json to check.")
    Path file;

    @Override
    public void run() {
      ModelConfig c = ModelConfigIO.read(file);
      spec.commandLine().getOut().printf(Locale.ROOT, "%s: valid (%d-layer decoder, MoE layers %s, E=%d, k=%d, P=%d image tokens)%n",
          file, c.textConfig().numHiddenLayers(), c.textConfig().moeLayerIndices(), c.textConfig().numExperts(),
          c.textConfig().numExpertsPerTok(), c.visionConfig().numPatches());
    }
  }

  /** {@code config params PRESET|FILE}: total and activated parameters by component. */
  @Command(name = "params", description = "Print total and activated parameters by component.")
  static final class Params implements Runnable {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "PRESET|FILE", description = "A preset or a config.json.")
    String config;

    @Override
    public void run() {
      ParameterCount pc = ParameterCount.of(Presets.resolve(config));
      PrintWriter out = spec.commandLine().getOut();
      out.printf(Locale.ROOT, "%-12s %16s %16s%n", "component", "total", "activated");
      for (String k : new String[] {"vision", "projector"}) row(out, k, pc.total().get(k), pc.activated().get(k));
      for (String k : ParameterCount.LLM_COMPONENTS) row(out, "  " + k, pc.total().get(k), pc.activated().get(k));
      row(out, "LLM", pc.llmTotal(), pc.llmActivated());
      row(out, "all", pc.grandTotal(), pc.grandActivated());
      out.printf(Locale.ROOT, "LLM: %s total, %s activated per token%n", human(pc.llmTotal()), human(pc.llmActivated()));
    }

    private static void row(PrintWriter out, String name, long total, long activated) {
      out.printf(Locale.ROOT, "%-12s %,16d %,16d%n", name, total, activated);
    }

    static String human(long n) {
      if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2f B", n / 1e9);
      if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.1f M", n / 1e6);
      return String.format(Locale.ROOT, "%.1f K", n / 1e3);
    }
  }
}
