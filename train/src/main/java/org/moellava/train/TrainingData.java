package org.moellava.train;

import java.nio.file.Files;
import java.nio.file.Path;
import org.moellava.config.ModelConfig;
import org.moellava.config.StageConfig;
import org.moellava.data.ConversationDataset;
import org.moellava.data.DataLoader;
import org.moellava.data.LlavaDataset;
import org.moellava.data.LlavaDatasetReader;
import org.moellava.data.SampleBuilder;
import org.moellava.data.Split;
import org.moellava.data.synth.SynthDatasets;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImagePreprocessor;
import org.moellava.text.Tokenizer;

/**
 * The data of a run: the synthetic world ({@code --data synth}, seeded by {@code training.seed}) or a LLaVA-format
 * dataset directory, with the tokenizer that goes with it.
 */
final class TrainingData implements AutoCloseable {
  /** The {@code --data} value that selects the synthetic world. */
  static final String SYNTH = "synth";
  /** Threads decoding and tokenising a batch. */
  private static final int LOADER_THREADS = 2;

  private final SynthWorld world;
  private final LlavaDataset dataset;
  private Tokenizer tokenizer;
  private final ModelConfig config;
  private final long seed;

  private TrainingData(SynthWorld world, LlavaDataset dataset, ModelConfig config) {
    this.world = world;
    this.dataset = dataset;
    this.config = config;
    this.seed = config.training().seed();
  }

  /**
   * Opens {@code --data}: loads (and checks) a dataset directory, or sets up the synthetic world.
   *
   * @throws InvalidInputException when the dataset fails to load
   */
  static TrainingData open(String data, ModelConfig config, boolean skipBad, java.io.PrintStream out) {
    SynthWorld world = null;
    LlavaDataset dataset = null;
    if (SYNTH.equals(data)) {
      world = new SynthWorld(SynthWorldConfig.defaults(config.training().seed())
          .withImageSize(Math.max(16, config.visionConfig().imageSize())));
    } else {
      Path dir = Path.of(data);
      if (!Files.exists(dir)) {
        throw new InvalidInputException(data + ": dataset not found (give a LLaVA-format dataset directory or 'synth')");
      }
      dataset = LlavaDatasetReader.read(dir, skipBad ? LlavaDatasetReader.Options.skippingBad()
          : LlavaDatasetReader.Options.strict());
      if (!dataset.skipped().isEmpty()) {
        out.println("skipped " + dataset.skipped().size() + " bad entries of " + data + " (--skip-bad); first: "
            + dataset.skipped().get(0));
      }
    }
    return new TrainingData(world, dataset, config);
  }

  /** Loads the tokenizer the batches are made with (the run directory's copy). */
  void loadTokenizer(Path tokenizerFile) {
    if (tokenizer != null) tokenizer.close();
    tokenizer = Tokenizer.load(tokenizerFile);
  }

  /** Whether this is the synthetic world. */
  boolean isSynthetic() {
    return world != null;
  }

  /** The micro-batches of {@code stage} for the stage's model {@code modelConfig}. */
  StageData forStage(Stage stage, ModelConfig modelConfig, StageConfig settings) {
    long stageSeed = seed * 31 + stage.ordinal();
    ImagePreprocessor pre = ImagePreprocessor.fromConfig(modelConfig);
    int pad = modelConfig.textConfig().padTokenId();
    if (stage == Stage.VISION) {
      if (world == null) {
        throw new InvalidInputException("stage vision pretrains on the synthetic world only: use --data synth, "
            + "or start at --stage 1 with --init CHECKPOINT");
      }
      SampleBuilder builder = SampleBuilder.forConfig(modelConfig, tokenizer, org.moellava.data.PromptTemplate.PLAIN, "");
      DataLoader loader = new DataLoader(SynthDatasets.captions(world, Split.TRAIN), builder, pre,
          settings.batchSize(), stageSeed, true, pad, false, LOADER_THREADS);
      return new VisionData(loader, world, modelConfig.visionConfig().patchesPerSide());
    }
    ConversationDataset entries = world == null ? dataset
        : stage == Stage.STAGE1 ? SynthDatasets.captions(world, Split.TRAIN)
        : SynthDatasets.instructions(world, Split.TRAIN);
    SampleBuilder builder = SampleBuilder.forConfig(modelConfig, tokenizer, stage.template(), config.systemPrompt());
    return new LanguageData(new DataLoader(entries, builder, pre, settings.batchSize(), stageSeed, true, pad, false,
        LOADER_THREADS));
  }

  @Override
  public void close() {
    if (tokenizer != null) tokenizer.close();
  }
}
