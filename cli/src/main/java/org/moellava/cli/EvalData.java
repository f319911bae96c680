package org.moellava.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.moellava.config.ModelConfig;
import org.moellava.data.ConversationDataset;
import org.moellava.data.LlavaDataset;
import org.moellava.data.LlavaDatasetReader;
import org.moellava.data.Split;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;
import org.moellava.error.InvalidInputException;
import picocli.CommandLine.Option;

/**
 * The {@code --data synth|DATASET [--split S] [--limit N] [--seed N]} options of {@code eval} and {@code analyze}.
 * {@code synth} is the synthetic world (as {@code moellava data synth} makes it, images at the model's size);
 * anything else is a LLaVA-format dataset directory or JSON file ({@code DATASET/<split>} when that directory
 * exists).
 */
final class EvalData {
  @Option(names = "--data", required = true, description = "synth (the synthetic world) or a LLaVA-format dataset (directory or JSON file).")
  String data;

  @Option(names = "--split", defaultValue = "test", description = "train, val or test (default ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--limit", defaultValue = "100", description = "Images (synth) or entries (dataset) used (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--seed", defaultValue = "42", description = "Synthetic world seed, as in 'data synth' (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--skip-bad", description = "Skip (and count) bad dataset entries instead of failing on the first.")
  boolean skipBad;

  private int skippedEntries;

  boolean synthetic() {
    return "synth".equals(data);
  }

  Split parsedSplit() {
    return Split.parse(split);
  }

  /** The synthetic world whose chosen split holds exactly {@code limit} images. */
  SynthWorld world(ModelConfig config) {
    checkLimit();
    return new SynthWorld(SynthWorldConfig.defaults(seed).withImageSize(config.visionConfig().imageSize())
        .withSplitSize(parsedSplit(), limit));
  }

  /** The LLaVA-format dataset named by {@code --data}. */
  ConversationDataset dataset() {
    checkLimit();
    Path path = Path.of(data);
    Path splitDir = path.resolve(parsedSplit().label());
    LlavaDataset dataset = LlavaDatasetReader.read(Files.isDirectory(splitDir) ? splitDir : path,
        skipBad ? LlavaDatasetReader.Options.skippingBad() : LlavaDatasetReader.Options.strict());
    skippedEntries = dataset.skipped().size();
    return dataset;
  }

  /** A short description for reports. */
  String describe() {
    return (synthetic() ? "synth (seed " + seed + ")" : data) + ", split " + split + ", limit " + limit
        + (skippedEntries > 0 ? ", " + skippedEntries + " bad entries skipped" : "");
  }

  private void checkLimit() {
    if (limit < 1) throw new InvalidInputException("--limit must be at least 1, got " + limit);
  }
}
