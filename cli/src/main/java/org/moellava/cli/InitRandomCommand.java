package org.moellava.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.error.InvalidInputException;
import org.moellava.hf.RandomCheckpoint;
import org.moellava.safetensors.SafetensorsDType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moellava init-random}: a random-weight checkpoint of a preset or config.json, written tensor by tensor (never
 * the whole model in memory), in MoE-LLaVA's published layout or the project's checkpoint layout.
 */
@Command(name = "init-random", description = "Write a random-weight checkpoint of a preset or config.json, tensor by "
    + "tensor (Normal(0, 0.02) matrices and embeddings, norms 1, biases 0), in MoE-LLaVA's layout (sharded "
    + "safetensors + index) or the project's checkpoint layout.")
public final class InitRandomCommand implements Runnable {
  @Spec CommandSpec spec;

  @Option(names = "--config", required = true, description = "A preset (e.g. moe-llava-stablelm-1.6b-4e) or a config.json.")
  String config;

  @Option(names = "--layout", defaultValue = "moellava", description = "moellava (config.json, sharded safetensors, "
      + "index; the StableLM, Phi and Qwen families) or project (a checkpoint as train and import write it). "
      + "Default: ${DEFAULT-VALUE}.")
  String layout;

  @Option(names = "--dtype", defaultValue = "bf16", description = "bf16, f16 or f32: the stored dtype (moellava) or the "
      + "values' precision in the float32 checkpoint (project). Default: ${DEFAULT-VALUE}.")
  String dtype;

  @Option(names = "--out", required = true, description = "The directory to write (must not exist).")
  Path out;

  @Option(names = "--seed", defaultValue = "0", description = "Random seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--shard-size", defaultValue = "2GB", description = "Largest safetensors shard (moellava layout), "
      + "e.g. 2GB, 500MB (decimal units, as transformers' max_shard_size). Default: ${DEFAULT-VALUE}.")
  String shardSize;

  @Option(names = "--tokenizer-from", description = "A folder to copy the tokenizer from: the family's tokenizer "
      + "files (moellava) or tokenizer.json (project).")
  Path tokenizerFrom;

  @Override
  public void run() {
    SafetensorsDType type = switch (dtype.toLowerCase(Locale.ROOT)) {
      case "bf16" -> SafetensorsDType.BF16;
      case "f16", "fp16" -> SafetensorsDType.F16;
      case "f32", "fp32" -> SafetensorsDType.F32;
      default -> throw new InvalidInputException("--dtype: unknown dtype '" + dtype + "' (bf16, f16 or f32)");
    };
    ModelConfig model = Presets.resolve(config);
    RandomCheckpoint random = new RandomCheckpoint(model, type, seed);
    long start = System.nanoTime();
    RandomCheckpoint.Written w = switch (layout) {
      case "moellava" -> random.writeMoeLlava(out, parseSize(shardSize), tokenizerFrom);
      case "project" -> random.writeProject(out, tokenizerFrom);
      default -> throw new InvalidInputException("--layout: unknown layout '" + layout + "' (moellava or project)");
    };
    spec.commandLine().getOut().printf(Locale.ROOT,
        "wrote %s (%s layout, %s): %d tensors, %,d parameters, %.2f GB in %d file(s) to %s (%.0f s)%n", config, layout,
        type.name().toLowerCase(Locale.ROOT), w.tensors(), w.parameters(), w.bytes() / 1e9, w.files().size(), w.dir(),
        (System.nanoTime() - start) / 1e9);
  }

  /** {@code 2GB}, {@code 500MB}, {@code 64KB} (powers of 1000) or a number of bytes. */
  static long parseSize(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT);
    long unit = 1;
    for (String[] u : new String[][] {{"GB", "1000000000"}, {"MB", "1000000"}, {"KB", "1000"}, {"B", "1"}}) {
      if (t.endsWith(u[0])) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length()).trim();
        break;
      }
    }
    try {
      double v = Double.parseDouble(t);
      if (!(v > 0)) throw new NumberFormatException();
      return (long) (v * unit);
    } catch (NumberFormatException e) {
      throw new InvalidInputException("--shard-size: '" + text + "' is not a positive size (e.g. 2GB, 500MB)");
    }
  }
}
