package org.moellava.cli;

import java.nio.file.Path;
import org.moellava.bench.BackendsBench;
import org.moellava.bench.BenchPackages;
import org.moellava.bench.BenchResult;
import org.moellava.bench.DecodeProfile;
import org.moellava.bench.ServeBench;
import org.moellava.bench.TrainBench;
import org.moellava.bench.TransformersDecode;
import org.moellava.config.ModelConfig;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
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
    subcommands = {BenchCommand.Backends.class, BenchCommand.Moe.class, BenchCommand.Kv.class, BenchCommand.Train.class,
        BenchCommand.Serve.class, BenchCommand.ServeJson.class, BenchCommand.Model.class,
        BenchCommand.Profile.class})
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

    /** The preset's name, or a config file's name without {@code .json}, for the report's lines. */
    String label() {
      if (Presets.isPreset(config)) return config;
      String name = Path.of(config).getFileName().toString();
      return name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
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

  /** {@code bench backends}. */
  @Command(name = "backends", description = "Prefill latency (S=64, 512) and decode tokens/s: TensorFlow Java vs ONNX "
      + "Runtime standard vs ONNX Runtime ort-fused (and int8/int4 packages, and transformers eager), on the same random-weight model.")
  static final class Backends extends Common implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--quantize", split = ",", paramLabel = "SCHEME",
        description = "Also decode int8 and/or int4 packages of the same weights (e.g. int8,int4), and/or "
            + "int8-qdq (--quant-format qdq).")
    java.util.List<String> quantize = new java.util.ArrayList<>();

    @Option(names = "--python", paramLabel = "PYTHON", description = "A Python with torch and transformers "
        + "(tools/fixtures/requirements.txt): decode beside Hugging Face transformers eager on the same weights "
        + "(default: $MOELLAVA_PYTHON; without either the comparison is skipped).")
    Path python;

    @Option(names = "--threads", defaultValue = "2",
        description = "Intra-op threads of ONNX Runtime and torch (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--fold-shapes", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Export the ONNX packages as `export` does by default; --no-fold-shapes measures them as "
            + "converted (see export --no-fold-shapes).")
    boolean foldShapes = true;

    @Override
    public void run() {
      check();
      BackendsBench.Options options = new BackendsBench.Options(quantize, TransformersDecode.python(python), threads,
          foldShapes);
      report(spec, BackendsBench.run(label(), Presets.resolve(config), rounds, options));
    }
  }

  /** {@code bench profile}. */
  @Command(name = "profile", description = "Where a batch-1 ONNX Runtime decode step's time goes: the engine, the "
      + "backend's calls, ONNX Runtime's run and its kernels by operator type (fp32 and the --quantize packages).")
  static final class Profile extends Common implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--quantize", split = ",", paramLabel = "SCHEME",
        description = "Also profile int8 and/or int4 packages of the same weights (e.g. int8,int4).")
    java.util.List<String> quantize = new java.util.ArrayList<>();

    @Option(names = "--threads", defaultValue = "2", description = "Intra-op threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Override
    public void run() {
      check();
      BackendsBench.Options options = new BackendsBench.Options(quantize, null, threads); // checks the values
      report(spec, DecodeProfile.run(label(), Presets.resolve(config), rounds, options.quantize(), threads));
    }
  }

  /** {@code bench train}. */
  @Command(name = "train", description = "Training tokens/s of each stage (vision, I, II, III) on the synthetic world.")
  static final class Train extends Common implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--steps", defaultValue = "20", description = "Optimiser steps per stage (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--python", description = "Python with torch and transformers for the PyTorch eager comparison of "
        + "stages II and III (default: $MOELLAVA_PYTHON, else python3 on the PATH; skipped with the reason when it "
        + "has no torch).")
    String python;

    @Option(names = "--torch-rounds", defaultValue = "2", description = "Alternating TF / PyTorch runs per compared "
        + "stage (default ${DEFAULT-VALUE}).")
    int torchRounds;

    @Option(names = "--no-torch", description = "Skip the PyTorch comparison.")
    boolean noTorch;

    @Override
    public void run() {
      if (steps < 2) throw new InvalidInputException("--steps must be at least 2, got " + steps);
      report(spec, TrainBench.run(config, Presets.resolve(config), steps, !noTorch, python, torchRounds,
          spec.commandLine().getOut()));
    }
  }

  /** The serving benchmarks: the engine over a random-weight model on TensorFlow or ONNX Runtime. */
  abstract static class EngineBench extends Common implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--backend", defaultValue = "tf", description = "tf or ort (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--requests", defaultValue = "3", description = "Requests per client (default ${DEFAULT-VALUE}).")
    int requests;

    /** The benchmark on {@code b}, labelled {@code label}. */
    abstract BenchResult measure(String label, org.moellava.runtime.Backend b, int requestsPerClient);

    @Override
    public void run() {
      if (requests < 1) throw new InvalidInputException("--requests must be at least 1, got " + requests);
      ModelConfig model = Presets.resolve(config);
      java.util.Map<String, org.moellava.tensor.TensorValue> weights = WeightInitializer.randomWeights(model, 5);
      String label = config + " " + backend;
      switch (backend) {
        case "tf" -> {
          try (TfBackend b = new TfBackend(model, weights, config)) {
            report(spec, measure(label, b, requests));
          }
        }
        case "ort" -> {
          try (BenchPackages packages = new BenchPackages("moellava-bench-serve", model, weights, 5);
               OrtBackend b = OrtBackend.open(packages.export("package", ExportOptions.defaults()), OrtOptions.cpu())) {
            report(spec, measure(label, b, requests));
          }
        }
        default -> throw new InvalidInputException("--backend must be tf or ort, got '" + backend + "'");
      }
    }
  }

  /** {@code bench serve}. */
  @Command(name = "serve", description = "Time to first token, inter-token latency p50/p99 and aggregate tokens/s at "
      + "concurrency 1, 4, 8, 16 through the continuous-batching engine (TensorFlow or ONNX Runtime backend); "
      + "--deterministic's cost; a multi-turn image chat with and without prefix caching; streams' latency while "
      + "long prompts arrive, with and without chunked prefill.")
  static final class Serve extends EngineBench {
    @Override
    BenchResult measure(String label, org.moellava.runtime.Backend b, int requestsPerClient) {
      return ServeBench.run(label, b, requestsPerClient);
    }
  }

  /** {@code bench serve-json}. */
  @Command(name = "serve-json", description = "Structured output's per-token cost: tokens/s constrained to JSON "
      + "vs unconstrained, side by side, greedy and sampled, concurrency 1 and 8 (GPT-2's real vocabulary).")
  static final class ServeJson extends EngineBench {
    @Override
    BenchResult measure(String label, org.moellava.runtime.Backend b, int requestsPerClient) {
      return org.moellava.bench.StructuredServeBench.run(label, b, requestsPerClient);
    }
  }

  /** {@code bench kv}. */
  @Command(name = "kv",
      description = "Decode step latency with 16, 256 and 1024 cached positions, TensorFlow and ONNX Runtime.")
  static final class Kv extends Common implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      check();
      report(spec, KvBench.run(Presets.resolve(config), rounds));
    }
  }

  /** {@code bench model}: the figures of a given package or checkpoint. */
  @Command(name = "model", description = "Load time, resident memory, prefill latency (an image + --text-tokens) and "
      + "decode tokens/s at batch 1 through the serving engine, and the decode's bandwidth bound, of a given package "
      + "(ONNX Runtime) or checkpoint (TensorFlow).")
  static final class Model implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "A package or checkpoint directory.")
    Path model;

    @Option(names = "--text-tokens", defaultValue = "64", description = "Text tokens after the image (default ${DEFAULT-VALUE}).")
    int textTokens;

    @Option(names = "--decode-tokens", defaultValue = "16", description = "Tokens decoded after the first (default ${DEFAULT-VALUE}).")
    int decodeTokens;

    @Option(names = "--rounds", defaultValue = "1", description = "Timed requests (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--out", description = "Also write the result as JSON to this file.")
    Path out;

    @Override
    public void run() {
      if (rounds < 1) throw new InvalidInputException("--rounds must be at least 1, got " + rounds);
      if (textTokens < 1) throw new InvalidInputException("--text-tokens must be at least 1, got " + textTokens);
      if (decodeTokens < 1) throw new InvalidInputException("--decode-tokens must be at least 1, got " + decodeTokens);
      org.moellava.bench.BenchResult result = org.moellava.bench.ModelBench.run(model, textTokens, decodeTokens, rounds);
      spec.commandLine().getOut().print(result.table());
      spec.commandLine().getOut().flush();
      if (out != null) result.write(out);
    }
  }
}
