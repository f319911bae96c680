package org.moellava.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.config.ModelConfigIO;
import org.moellava.config.StageConfig;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.Upcycler;
import org.moellava.graph.variables.VariableSpec;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.io.AtomicFiles;
import org.moellava.io.DirectoryLock;
import org.moellava.train.distributed.Worker;
import org.moellava.train.run.MetricsLog;

/**
 * {@code moellava train}: runs the planned stages of MoE-Tuning into a run directory ({@link RunLayout}). Everything
 * that can be checked is checked before the first step: the stage names, the data, the output directory, the
 * checkpoint a stage starts from and its config. Each stage starts from the previous stage's final checkpoint (or
 * {@code --init}); stage III upcycles the dense stage-II model. With {@code --resume}, finished stages are skipped
 * and an interrupted stage continues from its newest checkpoint exactly (step, data order, optimiser moments).
 */
public final class TrainingRun {
  static final long HEAD_SEED = 0x6EAD_5EEDL;
  static final long ROUTER_SEED = 0x2007_E125L;

  /**
   * Options of a run.
   *
   * @param config the model and training config
   * @param stage {@code vision}, {@code 1}, {@code 2}, {@code 3} or {@code all}
   * @param data a LLaVA-format dataset directory or {@code synth}
   * @param out RUN_DIR
   * @param maxSteps cap on every stage's steps; 0: no cap
   * @param resume continue an interrupted run, skipping finished stages
   * @param init the checkpoint the first planned stage starts from; null: the previous stage's final checkpoint
   * @param threads TensorFlow intra- and inter-op threads (fixed, for reproducible runs)
   * @param skipBad skip (and count) bad dataset entries instead of failing on the first
   * @param checkpointMinutes also save a step checkpoint whenever this much time has passed since the last one
   *     (besides the config's {@code checkpoint_every} steps), so a killed run loses at most this much; 0: only by
   *     steps
   */
  public record Options(ModelConfig config, String stage, String data, Path out, int maxSteps, boolean resume,
      Path init, int threads, boolean skipBad, double checkpointMinutes) {
    /** The default time between step checkpoints. */
    public static final double DEFAULT_CHECKPOINT_MINUTES = 5;

    /** Options with checkpoints every {@link #DEFAULT_CHECKPOINT_MINUTES}. */
    public Options(ModelConfig config, String stage, String data, Path out, int maxSteps, boolean resume, Path init,
        int threads, boolean skipBad) {
      this(config, stage, data, out, maxSteps, resume, init, threads, skipBad, DEFAULT_CHECKPOINT_MINUTES);
    }

    /** Options that fail on the first bad dataset entry. */
    public Options(ModelConfig config, String stage, String data, Path out, int maxSteps, boolean resume, Path init,
        int threads) {
      this(config, stage, data, out, maxSteps, resume, init, threads, false);
    }
  }

  private final Options options;
  private final PrintStream out;
  private final RunLayout layout;
  private final ModelConfig config;
  private final long seed;
  private final Worker worker;

  private TrainingRun(Options options, PrintStream out, Worker worker) {
    this.worker = worker;
    this.options = options;
    this.out = out;
    this.layout = new RunLayout(options.out());
    this.config = options.config();
    this.seed = config.training().seed();
  }

  /** Runs the planned stages and returns their summaries. */
  public static List<StageSummary> run(Options options, PrintStream out) {
    return new TrainingRun(options, out, null).run();
  }

  /**
   * Runs the planned stages as task {@code worker} of a distributed run (synchronous data parallel: each worker
   * trains on its shard of every global batch, gradients are all-reduced). RUN_DIR must be the same directory for
   * every worker (one machine, or a shared file system): only the chief locks it and writes config, metrics and
   * checkpoints; the others read the checkpoints they start from and log their own metrics to
   * {@code RUN_DIR/worker-N.metrics.jsonl}.
   */
  public static List<StageSummary> run(Options options, PrintStream out, Worker worker) {
    return new TrainingRun(options, out, worker).run();
  }

  /** Whether this process writes the run directory (a single process or the chief). */
  private boolean writes() {
    return worker == null || worker.isChief();
  }

  private List<StageSummary> run() {
    List<Stage> plan = Stage.parsePlan(options.stage());
    if (options.maxSteps() < 0) throw new InvalidInputException("--max-steps must be positive, got " + options.maxSteps());
    if (options.threads() < 1) throw new InvalidInputException("--threads must be positive, got " + options.threads());
    if (!(options.checkpointMinutes() >= 0) || Double.isInfinite(options.checkpointMinutes())) {
      throw new InvalidInputException("--checkpoint-minutes must be a number >= 0, got " + options.checkpointMinutes());
    }
    boolean synth = TrainingData.SYNTH.equals(options.data());
    if (!synth && plan.contains(Stage.VISION)) {
      throw new InvalidInputException("stage vision pretrains on the synthetic world only: use --data synth, "
          + "or start at --stage 1 with --init CHECKPOINT");
    }
    if (options.init() != null) CheckpointReader.open(options.init());
    if (worker != null) checkShards(plan);
    List<StageSummary> summaries = new ArrayList<>();
    long start = System.nanoTime();
    try (TrainingData data = TrainingData.open(options.data(), config, options.skipBad(), out)) {
      byte[] tokenizer = tokenizerBytes(synth);
      preflight(plan); // refuses a finished or started stage before anything is created
      try (DirectoryLock lock = writes() ? lockRunDirectory() : null) {
        List<Stage> pending = preflight(plan); // again under the lock: another run may have finished a stage
        if (writes()) {
          prepareRunDirectory(tokenizer);
          data.loadTokenizer(layout.tokenizer());
        } else {
          data.loadTokenizer(privateTokenizer(tokenizer));
        }
        if (worker != null) worker.start();
        // everything that can fail on bad input has been checked; training starts
        for (Stage stage : plan) {
          if (!pending.contains(stage)) {
            out.println(stage.label() + ": already finished (" + layout.finalCheckpoint(stage) + "), skipped");
            continue;
          }
          summaries.add(runStage(stage, stage == pending.get(0) ? options.init() : null, data, tokenizer));
        }
      }
    }
    if (summaries.size() > 1) {
      out.printf(Locale.ROOT, "all stages done in %.1f s; final model: %s%n", (System.nanoTime() - start) / 1e9,
          layout.finalCheckpoint(plan.get(plan.size() - 1)));
    }
    return summaries;
  }

  /** Every planned stage's micro-batch must split evenly among the workers. */
  private void checkShards(List<Stage> plan) {
    for (Stage stage : plan) {
      int batch = stage.settings(config.training()).batchSize();
      if (batch % worker.size() != 0) {
        throw new InvalidInputException("stage " + stage.label() + ": batch size " + batch + " does not split among "
            + worker.size() + " workers: use a batch size that is a multiple of the worker count");
      }
    }
  }

  /** A non-chief worker's copy of the tokenizer (the chief writes RUN_DIR/tokenizer.json, maybe not yet). */
  private static Path privateTokenizer(byte[] tokenizer) {
    try {
      Path file = Files.createTempFile("moellava-worker-tokenizer", ".json");
      file.toFile().deleteOnExit();
      Files.write(file, tokenizer);
      return file;
    } catch (IOException e) {
      throw new InvalidInputException("cannot write a temporary tokenizer file: " + e.getMessage(), e);
    }
  }

  /**
   * Creates RUN_DIR and locks it for the whole run, so a second run into the same folder fails at once naming the
   * holder's PID instead of interleaving its metrics and checkpoints with this one.
   */
  private DirectoryLock lockRunDirectory() {
    Path root = layout.root();
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new InvalidInputException(root + ": cannot create the output directory: " + e.getMessage(), e);
    }
    return DirectoryLock.acquire(root, "training run");
  }

  /** The stages still to run; fails on a finished or started stage without --resume, or a missing start. */
  private List<Stage> preflight(List<Stage> plan) {
    List<Stage> pending = new ArrayList<>();
    for (Stage stage : plan) {
      Path finalDir = layout.finalCheckpoint(stage);
      boolean started = hasCheckpoints(stage);
      if (Files.exists(finalDir) || started) {
        if (!options.resume()) {
          throw new InvalidInputException(layout.stageDir(stage) + ": stage " + stage.label()
              + " was already run here; pass --resume to continue or skip it, or choose a new --out");
        }
        if (Files.exists(finalDir)) {
          CheckpointReader.open(finalDir).config(stage.modelConfig(config));
          continue;
        }
      }
      pending.add(stage);
    }
    if (!pending.isEmpty()) {
      Stage first = pending.get(0);
      if (options.resume() && hasCheckpoints(first)) {
        Path latest = saver(first).latest().orElseThrow();
        CheckpointReader.open(latest).config(first.modelConfig(config));
      } else {
        Path source = source(first, options.init());
        if (source != null) checkSource(first, source);
      }
    }
    return pending;
  }

  private boolean hasCheckpoints(Stage stage) {
    return Files.isDirectory(layout.checkpoints(stage)) && saver(stage).latest().isPresent();
  }

  private CheckpointSaver saver(Stage stage) {
    return new CheckpointSaver(layout.checkpoints(stage), config.training().keepCheckpoints());
  }

  /** The checkpoint {@code stage} starts from: --init, else the previous stage's final; null for a fresh vision stage. */
  private Path source(Stage stage, Path init) {
    if (init != null) return init;
    if (stage.previous() == null) return null;
    Path previous = layout.finalCheckpoint(stage.previous());
    if (!Files.isDirectory(previous)) {
      throw new InvalidInputException("stage " + stage.label() + " starts from the " + stage.previous().label()
          + " checkpoint " + previous + ", which does not exist: run --stage "
          + (stage.previous() == Stage.VISION ? "vision" : stage.previous().label().substring(5))
          + " first, or pass --init CHECKPOINT");
    }
    return previous;
  }

  /** Opens {@code source} and checks its config: the dense model, or for stage III the dense or the MoE model. */
  private void checkSource(Stage stage, Path source) {
    CheckpointReader reader = CheckpointReader.open(source);
    if (stage == Stage.STAGE3 && matches(reader, config)) return;
    reader.config(Stage.dense(config));
  }

  private static boolean matches(CheckpointReader reader, ModelConfig expected) {
    try {
      reader.config(expected);
      return true;
    } catch (ConfigException e) {
      return false;
    }
  }

  private byte[] tokenizerBytes(boolean synth) {
    if (synth) {
      return SynthVocabulary.tokenizerJson(config.textConfig().vocabSize()).getBytes(StandardCharsets.UTF_8);
    }
    Path inData = Path.of(options.data()).resolve("tokenizer.json");
    try {
      if (Files.isRegularFile(inData)) return Files.readAllBytes(inData);
    } catch (IOException e) {
      throw new InvalidInputException(inData + ": cannot read: " + e.getMessage(), e);
    }
    if (options.init() != null) {
      Optional<byte[]> fromInit = CheckpointReader.open(options.init()).tokenizerJson();
      if (fromInit.isPresent()) return fromInit.get();
    }
    try {
      if (Files.isRegularFile(layout.tokenizer())) return Files.readAllBytes(layout.tokenizer());
    } catch (IOException e) {
      throw new InvalidInputException(layout.tokenizer() + ": cannot read: " + e.getMessage(), e);
    }
    throw new InvalidInputException(options.data() + ": no tokenizer.json in the dataset directory, and no --init "
        + "checkpoint with one");
  }

  /** Creates RUN_DIR, writes (or on resume checks) config.json, and writes tokenizer.json. */
  private void prepareRunDirectory(byte[] tokenizer) {
    Path root = layout.root();
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new InvalidInputException(root + ": cannot create the output directory: " + e.getMessage(), e);
    }
    if (!Files.isWritable(root)) throw new InvalidInputException(root + ": output directory is not writable");
    String json = ModelConfigIO.toJson(config);
    if (Files.isRegularFile(layout.config())) {
      ModelConfig existing = ModelConfigIO.read(layout.config());
      if (!ModelConfigIO.toJson(existing).equals(json)) {
        throw new ConfigException(layout.config() + ": this run directory was made with another config; use the same "
            + "--config to resume, or choose a new --out");
      }
    } else {
      AtomicFiles.writeString(layout.config(), json);
    }
    AtomicFiles.write(layout.tokenizer(), tokenizer);
  }

  private StageSummary runStage(Stage stage, Path init, TrainingData data, byte[] tokenizer) {
    StageConfig settings = stage.settings(config.training());
    ModelConfig modelConfig = stage.modelConfig(config);
    int total = options.maxSteps() > 0 ? Math.min(settings.steps(), options.maxSteps()) : settings.steps();
    CheckpointSaver saver = saver(stage);
    if (writes()) {
      saver.removeStaging();
      AtomicFiles.removeStaging(layout.finalCheckpoint(stage)); // a final checkpoint half-written when killed
    }
    StageTrainer.Start start;
    Optional<Path> latest = options.resume() ? saver.latest() : Optional.empty();
    if (latest.isPresent()) {
      start = resumeFrom(stage, latest.get(), modelConfig);
      out.printf(Locale.ROOT, "%s: resuming from %s (step %d of %d)%n", stage.label(), latest.get(), start.step(),
          total);
      MetricsLog.dropAfter(metricsFile(), stage.label(), start.step());
    } else {
      if (options.resume()) {
        out.printf(Locale.ROOT, "%s: no step checkpoint in %s to resume from: the stage starts at step 0%n",
            stage.label(), layout.checkpoints(stage));
      }
      Path source = source(stage, init);
      if (stage != Stage.VISION) TrainingMemory.check(stage, modelConfig, settings); // before any weight is read
      start = new StageTrainer.Start(initialWeights(stage, source), Map.of(), 0);
      out.printf(Locale.ROOT, "%s: %d steps, batch %d x %d accumulation, lr %.2e, from %s%n", stage.label(), total,
          settings.batchSize(), Math.max(1, settings.gradAccumSteps()), settings.learningRate(),
          source == null ? "random initialisation (seed " + seed + ")" : source.toString());
      MetricsLog.dropAfter(metricsFile(), stage.label(), 0);
    }
    StageTrainer.Plan plan = new StageTrainer.Plan(stage, modelConfig, settings, total, seed, options.threads(),
        layout, tokenizer, config.training().keepCheckpoints(), options.checkpointMinutes(), worker);
    try (StageData stageData = data.forStage(stage, modelConfig, settings);
        MetricsLog metrics = new MetricsLog(metricsFile())) {
      StageSummary summary = new StageTrainer(plan).run(start, stageData, metrics, out);
      summary.print(out);
      return summary;
    }
  }

  /** RUN_DIR/metrics.jsonl, or a non-chief worker's own RUN_DIR/worker-N.metrics.jsonl. */
  private Path metricsFile() {
    return writes() ? layout.metrics() : layout.root().resolve("worker-" + worker.task() + ".metrics.jsonl");
  }

  private StageTrainer.Start resumeFrom(Stage stage, Path checkpoint, ModelConfig modelConfig) {
    CheckpointReader reader = CheckpointReader.open(checkpoint);
    reader.config(modelConfig);
    TrainingState state = reader.state();
    if (!stage.label().equals(state.stage())) {
      throw new InvalidInputException(checkpoint + ": holds stage '" + state.stage() + "', expected " + stage.label());
    }
    Map<String, TensorValue> weights = new LinkedHashMap<>();
    Map<String, TensorValue> slots = new LinkedHashMap<>();
    reader.readVariables().forEach((name, value) -> {
      if (name.startsWith(StageTrainer.OPTIMIZER_PREFIX)) slots.put(name, value);
      else weights.put(name, value);
    });
    return new StageTrainer.Start(weights, slots, state.step());
  }

  /** The weights a fresh stage starts from. */
  private Map<String, TensorValue> initialWeights(Stage stage, Path source) {
    ModelConfig dense = Stage.dense(config);
    if (stage == Stage.VISION) {
      Map<String, TensorValue> weights = new LinkedHashMap<>(source == null
          ? WeightInitializer.randomWeights(dense, seed)
          : CheckpointReader.open(source).readVariables());
      SplittableRandom random = new SplittableRandom(seed ^ HEAD_SEED);
      for (VariableSpec spec : VisionPretrainGraph.specs(dense)) {
        if (spec.name().startsWith(VisionPretrainGraph.HEAD_KERNEL.substring(0, 11))) {
          weights.put(spec.name(), WeightInitializer.initial(spec, random.split()));
        }
      }
      return weights;
    }
    CheckpointReader reader = CheckpointReader.open(source);
    if (stage == Stage.STAGE3 && !matches(reader, Stage.dense(config))) {
      reader.config(config);
      return reader.readVariables(); // already a MoE model of this config
    }
    reader.config(dense);
    Map<String, TensorValue> weights = reader.readVariables();
    if (stage == Stage.STAGE3) {
      out.println("stage3: upcycling " + source + ": each expert a copy of its layer's FFN, routers seeded random");
      return Upcycler.upcycle(config, weights, seed ^ ROUTER_SEED);
    }
    return weights;
  }
}
