package org.moellava.cli;

import java.nio.file.Path;
import org.moellava.bench.BenchResult;
import org.moellava.bench.KvBench;
import org.moellava.bench.MoeBench;
import org.moellava.config.Presets;
import org.moellava.error.InvalidInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moellava bench}: side-by-side benchmarks reported as JSON and a table. */
@Command(name = "bench", description = "Benchmarks, measured side by side in one process and reported as ratios.",
    subcommands = {BenchCommand.Moe.class, BenchCommand.Kv.class})
public final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every benchmark takes. */
  static class Common {
    @Option(names = "--config", defaultValue = "small", description = "Preset or config.json (default ${DEFAULT-VALUE}).")
    String config;

    @Option(names = "--rounds", defaultValue = "15", description = "Timed rounds per variant (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--out", description = "Also write the result as JSON to this file.")
    Path out;

    void report(CommandSpec spec, BenchResult result) {
      spec.commandLine().getOut().print(result.table());
      spec.commandLine().getOut().flush();
      if (out != null) result.write(out);
    }

    void check() {
      if (rounds < 1) throw new InvalidInputException("--rounds must be at least 1, got " + rounds);
    }
  }

  /** {@code bench moe}. */
  @Command(name = "moe", description = "Sparse MoE vs dense with the same activated parameters vs all experts, one layer and the whole decoder.")
  static final class Moe extends Common implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--tokens", defaultValue = "512", description = "Tokens T per forward pass (default ${DEFAULT-VALUE}).")
    int tokens;

    @Override
    public void run() {
      check();
      if (tokens < 1) throw new InvalidInputException("--tokens must be at least 1, got " + tokens);
      report(spec, MoeBench.run(Presets.resolve(config), tokens, rounds));
    }
  }

  /** {@code bench kv}. */
  @Command(name = "kv", description = "Decode step latency with 16, 256 and 1024 cached positions.")
  static final class Kv extends Common implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      check();
      report(spec, KvBench.run(Presets.resolve(config), rounds));
    }
  }
}
