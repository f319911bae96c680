package org.moellava.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.moellava.config.Presets;
import org.moellava.data.ConversationDataset;
import org.moellava.data.LlavaDatasetWriter;
import org.moellava.data.Split;
import org.moellava.data.synth.SynthDatasets;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;
import org.moellava.error.InvalidInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code moellava data synth}: the synthetic world as a LLaVA-format dataset. */
@Command(name = "data", description = "Generate datasets.", subcommands = {DataCommand.Synth.class})
public final class DataCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Writes {@code data.json}, the PNG images and the synthetic world's {@code tokenizer.json}. */
  @Command(name = "synth", description = "Write the synthetic shape world as a LLaVA-format dataset (data.json + PNGs + tokenizer.json).")
  static final class Synth implements Runnable {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Output directory (must not exist, or be empty).")
    Path out;

    @Option(names = "--n", defaultValue = "1000", description = "Number of images (default ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--split", defaultValue = "train", description = "train, val or test (disjoint images; default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--kind", defaultValue = "instructions",
        description = "instructions (multi-turn QA plus text-only conversations) or captions (default ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--seed", defaultValue = "42", description = "World seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--image-size", defaultValue = "64", description = "Image side in pixels (default ${DEFAULT-VALUE}).")
    int imageSize;

    @Override
    public void run() {
      if (images < 1) throw new InvalidInputException("--n must be at least 1, got " + images);
      if (java.nio.file.Files.exists(out)) {
        throw new InvalidInputException(out + ": already exists; choose a new --out directory (nothing was written)");
      }
      Split s = Split.parse(split);
      SynthWorld world = new SynthWorld(
          SynthWorldConfig.defaults(seed).withImageSize(imageSize).withSplitSize(s, images));
      ConversationDataset dataset = switch (kind) {
        case "instructions" -> SynthDatasets.instructions(world, s);
        case "captions" -> SynthDatasets.captions(world, s);
        default -> throw new InvalidInputException("--kind must be instructions or captions, got '" + kind + "'");
      };
      long start = System.nanoTime();
      LlavaDatasetWriter.write(dataset, out);
      SynthVocabulary.writeTokenizer(out.resolve("tokenizer.json"), Presets.get(Presets.TINY).textConfig().vocabSize());
      double seconds = (System.nanoTime() - start) / 1e9;
      spec.commandLine().getOut().printf(Locale.ROOT, "wrote %d %s entries (%d images, split %s, seed %d) to %s in %.1f s%n",
          dataset.size(), kind, images, s.label(), seed, out, seconds);
    }
  }
}
