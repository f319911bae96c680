package org.moellava.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.config.StageConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.variables.ModelVariables;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.VariableGroup;
import org.moellava.graph.variables.VariableNames;
import org.moellava.train.distributed.StepCollectives;
import org.moellava.train.distributed.Worker;
import org.moellava.train.optim.AdamW;
import org.moellava.train.optim.CosineSchedule;
import org.moellava.train.run.MetricsLog;
import org.moellava.train.run.ProgressReporter;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Runs the optimiser steps of one stage: builds the stage graph and optimiser, loads the starting weights (and the
 * optimiser state when resuming), then per step runs the micro-batches, checks loss and gradients for NaN/Inf,
 * applies AdamW with the cosine-scheduled rate, logs metrics, reports progress and saves checkpoints; at the end it
 * writes {@code <stage>/final} (model weights only).
 */
final class StageTrainer {
  /** Prefix of the optimiser's variables in checkpoints. */
  static final String OPTIMIZER_PREFIX = "optimizer/";

  /**
   * Where a stage starts.
   *
   * @param weights every model variable of the stage's graph (and, for the vision stage, the rest of the dense model,
   *     carried into its final checkpoint)
   * @param slots the optimiser's variables when resuming; empty for a fresh start
   * @param step optimiser steps already done
   */
  record Start(Map<String, TensorValue> weights, Map<String, TensorValue> slots, long step) {}

  /**
   * A stage to run.
   *
   * @param stage which stage
   * @param modelConfig the model it trains (dense before stage III)
   * @param settings optimiser settings
   * @param totalSteps optimiser steps (after {@code --max-steps})
   * @param seed the run seed
   * @param threads TF intra- and inter-op threads
   * @param layout the run directory
   * @param tokenizerJson the tokenizer stored with every checkpoint
   * @param keepCheckpoints how many step checkpoints to keep
   * @param checkpointMinutes also save when this much time passed since the last save; 0: by steps only
   * @param worker this process's task in a distributed run; null for a single process
   */
  record Plan(Stage stage, ModelConfig modelConfig, StageConfig settings, int totalSteps, long seed, int threads,
      RunLayout layout, byte[] tokenizerJson, int keepCheckpoints, double checkpointMinutes, Worker worker) {
    /** Whether this process writes checkpoints (a single process, or the chief of a distributed run). */
    boolean writes() {
      return worker == null || worker.isChief();
    }
  }

  private final Plan plan;

  StageTrainer(Plan plan) {
    this.plan = plan;
  }

  /** A session config with fixed thread pools of its own, so runs are reproducible. */
  static ConfigProto sessionConfig(int threads) {
    return ConfigProto.newBuilder()
        .setUsePerSessionThreads(true)
        .setIntraOpParallelismThreads(threads)
        .setInterOpParallelismThreads(threads)
        .build();
  }

  /** Trains from {@code start} to the plan's last step and writes the final checkpoint. */
  StageSummary run(Start start, StageData data, MetricsLog metrics, PrintStream out) {
    Stage stage = plan.stage();
    StageConfig s = plan.settings();
    int accum = Math.max(1, s.gradAccumSteps());
    int patches = plan.modelConfig().visionConfig().numPatches();
    try (StageGraph g = stage == Stage.VISION ? new VisionStageGraph(plan.modelConfig())
        : new LanguageStageGraph(plan.modelConfig())) {
      List<ModelVariables.Entry> trained = g.graph().trainableVariables(stage.trainedGroups());
      if (trained.isEmpty()) {
        throw new InvalidInputException(stage.label() + ": the model has no variables in the trained groups "
            + stage.trainedGroups());
      }
      Output<?>[] grads = g.graph().addGradients(trained);
      Worker worker = plan.worker();
      StepCollectives sync = worker == null ? null : new StepCollectives(g.graph().graph(), g.graph().ops(), worker,
          g.graph().loss(), new ArrayList<>(g.metricFetches().values()), accum, 100 * (stage.ordinal() + 1));
      TrainStepOps ops = new TrainStepOps(g.graph().graph(), g.graph().ops(), trained, grads, accum,
          AdamW.Config.defaults(s.weightDecay(), s.maxGradNorm()), sync);
      long trainedParameters = trained.stream().mapToLong(e -> e.spec().size()).sum();
      if (worker != null) {
        out.printf(Locale.ROOT, "%s: task %d of %d workers%s, %d rows of each %d-row micro-batch; all-reduce %,d floats "
                + "(%.1f MB) per step%n", stage.label(), worker.task(), worker.size(), worker.isChief() ? " (chief)" : "",
            data.batchSize() / worker.size(), data.batchSize(), sync.gradientFloats(), sync.gradientFloats() * 4 / 1e6);
      }
      try (Session session = worker == null ? new Session(g.graph().graph(), sessionConfig(plan.threads()))
          : worker.open(g.graph().graph())) {
        List<VariableIo.Target> modelVars = VariableIo.of(g.graph().variables());
        VariableIo.load(session, modelVars, start.weights(), stage.label() + " starting weights");
        session.runner().addTarget(ops.initialize()).run().close();
        if (start.step() > 0) VariableIo.load(session, ops.slots(), start.slots(), stage.label() + " optimiser state");
        Loop loop = new Loop(g, ops, sync, session, data, metrics, patches, accum);
        Map<String, TensorValue> base = start.weights();
        CheckpointSaver saver = new CheckpointSaver(plan.layout().checkpoints(stage), plan.keepCheckpoints());
        long interval = (long) (plan.checkpointMinutes() * 60e9);
        long lastSave = System.nanoTime();
        try (ProgressReporter progress = ProgressReporter.create(stage.label(), start.step(), plan.totalSteps(), out)) {
          for (long step = start.step(); step < plan.totalSteps(); step++) {
            StepResult r = loop.step(step, saver);
            progress.update(step + 1, r.loss(), r.ce(), r.aux(), r.lr(), r.tokensPerSecond());
            long done = step + 1;
            boolean periodic = s.checkpointEvery() > 0 && done % s.checkpointEvery() == 0;
            boolean timed = interval > 0 && System.nanoTime() - lastSave >= interval;
            if (plan.writes() && (periodic || timed || done == plan.totalSteps())) {
              saver.save(plan.modelConfig(), plan.tokenizerJson(), snapshot(session, modelVars, ops, base),
                  state(done, r.loss(), r.ce()));
              lastSave = System.nanoTime();
            }
          }
        }
        Path finalDir = plan.layout().finalCheckpoint(stage);
        if (plan.writes()) {
          Map<String, TensorValue> model = modelOnly(snapshot(session, modelVars, ops, base));
          new CheckpointWriter().write(finalDir, plan.modelConfig(), plan.tokenizerJson(), model,
              state(plan.totalSteps(), loop.lastLoss, loop.lastCe));
        }
        if (sync != null) { // the others wait until the chief's final checkpoint (the next stage's start) is written
          loop.run(session.runner().addTarget(sync.barrier()), "the end of " + stage.label()).close();
        }
        return loop.summary(start.step(), trained.size(), trainedParameters, finalDir);
      }
    }
  }

  private TrainingState state(long step, double loss, double ce) {
    Map<String, Double> m = new LinkedHashMap<>();
    if (Double.isFinite(loss)) m.put("loss", loss);
    if (Double.isFinite(ce)) m.put("ce", ce);
    m.put("total_steps", (double) plan.totalSteps());
    long cursor = step * Math.max(1, plan.settings().gradAccumSteps()) * (long) plan.settings().batchSize();
    return new TrainingState(plan.stage().label(), step, cursor, plan.seed(), m);
  }

  /** Model variables (with {@code base}'s other entries) and optimiser slots, as saved in a step checkpoint. */
  private static Map<String, TensorValue> snapshot(Session session, List<VariableIo.Target> modelVars,
      TrainStepOps ops, Map<String, TensorValue> base) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    base.forEach((name, value) -> {
      if (!name.startsWith(OPTIMIZER_PREFIX)) out.put(name, value);
    });
    List<VariableIo.Target> all = new ArrayList<>(modelVars);
    all.addAll(ops.slots());
    out.putAll(VariableIo.read(session, all));
    return out;
  }

  /** Drops optimiser slots and the vision-pretraining head. */
  static Map<String, TensorValue> modelOnly(Map<String, TensorValue> all) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    all.forEach((name, value) -> {
      if (!name.startsWith(OPTIMIZER_PREFIX) && !name.startsWith(VariableNames.VISION_PRETRAIN_HEAD + "/")) {
        out.put(name, value);
      }
    });
    return out;
  }

  /** One step's figures. */
  record StepResult(double loss, double ce, double aux, double lr, double tokensPerSecond) {}

  /** The step loop's state and statistics. */
  private final class Loop {
    private final StageGraph g;
    private final TrainStepOps ops;
    private final StepCollectives sync;
    private final Session session;
    private final StageData data;
    private final MetricsLog metrics;
    private final int patches;
    private final int accum;
    private final CosineSchedule schedule;
    private final Map<String, Operand<?>> fetches;
    private final List<VariableGroup> groups;
    private final List<Double> losses = new ArrayList<>();
    private final Map<String, double[]> expertTotals = new LinkedHashMap<>();
    private final Map<String, Double> droppedTotals = new LinkedHashMap<>();
    private Map<String, Object> lastExtra = Map.of();
    private long tokens;
    private double seconds;
    private double lastLoss = Double.NaN;
    private double lastCe = Double.NaN;

    Loop(StageGraph g, TrainStepOps ops, StepCollectives sync, Session session, StageData data, MetricsLog metrics,
        int patches, int accum) {
      this.g = g;
      this.ops = ops;
      this.sync = sync;
      this.session = session;
      this.data = data;
      this.metrics = metrics;
      this.patches = patches;
      this.accum = accum;
      StageConfig s = plan.settings();
      this.schedule = CosineSchedule.withWarmupRatio(s.learningRate(), plan.totalSteps(), s.warmupRatio());
      this.fetches = g.metricFetches();
      this.groups = new ArrayList<>(ops.groupNorms().keySet());
    }

    StepResult step(long step, CheckpointSaver saver) {
      long t0 = System.nanoTime();
      double lr = schedule.learningRate((int) step);
      double lossSum = 0;
      long stepTokens = 0;
      Map<String, double[]> sums = new LinkedHashMap<>();
      WorkerStats workerStats = sync == null ? null : new WorkerStats(plan.worker().size(), fetches.keySet());
      for (int m = 0; m < accum; m++) {
        Worker worker = plan.worker();
        StageBatch batch = worker == null ? data.batch(step * accum + m)
            : data.shard(step * accum + m, worker.task(), worker.size());
        long batchTokens = batch.tokens(patches);
        stepTokens += batchTokens;
        List<Tensor> owned = new ArrayList<>();
        try {
          Session.Runner runner = session.runner();
          g.feed(runner, batch, owned);
          runner.addTarget(ops.accumulate()).fetch(g.graph().loss());
          fetches.values().forEach(runner::fetch);
          groups.forEach(group -> runner.fetch(ops.groupNorms().get(group)));
          if (sync != null) {
            TFloat32 weight = TFloat32.scalarOf((float) batch.lossWeight());
            owned.add(weight);
            TFloat32 tokenCount = TFloat32.scalarOf((float) batchTokens);
            owned.add(tokenCount);
            runner.feed(sync.weight(), weight).feed(sync.tokens(), tokenCount).fetch(sync.stats());
          }
          try (Result r = run(runner, plan.stage().label() + " step " + (step + 1))) {
            int i = 0;
            double loss = ((TFloat32) r.get(i++)).getFloat();
            for (String name : fetches.keySet()) {
              double[] v = values(r.get(i++));
              sums.merge(name, v, StageTrainer::add);
            }
            String bad = Double.isFinite(loss) ? null : "loss";
            for (VariableGroup group : groups) {
              double norm = ((TFloat32) r.get(i++)).getFloat();
              if (!Double.isFinite(norm)) {
                bad = (bad == null ? "" : bad + "; ") + "first non-finite gradient group: "
                    + group.name().toLowerCase(Locale.ROOT);
                break;
              }
            }
            if (bad != null) diverged(step, loss, bad, saver);
            lossSum += loss;
            if (workerStats != null) workerStats.add(Tensors.toValue((TFloat32) r.get(i)), sums);
          }
        } finally {
          owned.forEach(Tensor::close);
        }
      }
      double gradNorm;
      try (TFloat32 lrTensor = TFloat32.scalarOf((float) lr);
          Result r = run(session.runner().feed(ops.learningRate(), lrTensor).addTarget(ops.applyAndReset())
              .fetch(ops.gradNorm()), plan.stage().label() + " step " + (step + 1) + " (gradient all-reduce)")) {
        gradNorm = ((TFloat32) r.get(0)).getFloat();
      }
      double dt = (System.nanoTime() - t0) / 1e9;
      double loss = lossSum / accum;
      Map<String, Object> workers = null;
      if (workerStats != null) { // global figures replace this worker's; each worker's go under "workers"
        loss = workerStats.loss(accum);
        stepTokens = workerStats.tokens();
        sums = workerStats.globalSums();
        workers = workerStats.perWorker(g, accum);
      }
      Map<String, Object> extra = new LinkedHashMap<>(g.stepMetrics(sums, accum, stepTokens));
      if (workers != null) extra.put("workers", workers);
      record(step, loss, extra, lr, gradNorm, stepTokens / dt, dt, sums, stepTokens);
      tokens += stepTokens;
      seconds += dt;
      double ce = extra.get("ce") instanceof Double d ? d : loss;
      double aux = extra.get("aux") instanceof Double d ? d : 0.0;
      lastLoss = loss;
      lastCe = ce;
      return new StepResult(loss, ce, aux, lr, stepTokens / dt);
    }

    private void record(long step, double loss, Map<String, Object> extra, double lr, double gradNorm,
        double tokensPerSecond, double dt, Map<String, double[]> sums, long stepTokens) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("stage", plan.stage().label());
      line.put("step", step + 1);
      line.put("loss", loss);
      line.putAll(extra);
      line.put("lr", lr);
      line.put("grad_norm", gradNorm);
      line.put("tokens", stepTokens);
      line.put("tokens_per_s", Math.round(tokensPerSecond * 10) / 10.0);
      line.put("step_s", Math.round(dt * 1e4) / 1e4);
      line.put("rss_mb", StageSummary.currentRssMb());
      metrics.append(line);
      losses.add(loss);
      lastExtra = extra;
      for (String name : sums.keySet()) {
        if (name.startsWith("experts.")) expertTotals.merge(name.substring(8), sums.get(name), StageTrainer::add);
      }
      if (extra.get("dropped_fraction") instanceof Map<?, ?> dropped) {
        dropped.forEach((k, v) -> droppedTotals.merge((String) k, (Double) v, Double::sum));
      }
    }

    /** Runs {@code runner}; in a distributed run a failed collective becomes one line naming the missing task. */
    Result run(Session.Runner runner, String what) {
      if (sync == null) return runner.run();
      return plan.worker().guard(what, runner::run);
    }

    private void diverged(long step, double loss, String what, CheckpointSaver saver) {
      String last = saver.latest().map(Path::toString).orElse("none (no checkpoint of this stage was written)");
      throw new TrainingDivergedException(String.format(Locale.ROOT,
          "%s step %d: non-finite values (loss %s; %s); the step was not applied; last good checkpoint: %s",
          plan.stage().label(), step + 1, Double.toString(loss), what, last));
    }

    StageSummary summary(long firstStep, int trainedVariables, long trainedParameters, Path finalDir) {
      int n = losses.size();
      double start = mean(losses.subList(0, Math.min(10, n)));
      double end = mean(losses.subList(Math.max(0, n - 10), n));
      Map<String, Double> extra = new LinkedHashMap<>();
      lastExtra.forEach((k, v) -> {
        if (v instanceof Double d) extra.put(k, d);
      });
      Map<String, double[]> load = new LinkedHashMap<>();
      expertTotals.forEach((layer, counts) -> {
        double total = 0;
        for (double c : counts) total += c;
        double[] share = new double[counts.length];
        for (int e = 0; e < counts.length; e++) share[e] = total > 0 ? counts[e] / total : 0;
        load.put(layer, share);
      });
      Map<String, Double> dropped = new LinkedHashMap<>();
      droppedTotals.forEach((layer, sum) -> dropped.put(layer, n > 0 ? sum / n : 0));
      return new StageSummary(plan.stage(), firstStep, plan.totalSteps(), trainedVariables, trainedParameters,
          seconds, seconds > 0 ? tokens / seconds : 0, start, end, extra, load, dropped, StageSummary.currentPeakRssMb(),
          finalDir);
    }
  }

  private static double mean(List<Double> xs) {
    return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  private static double[] values(Tensor t) {
    if (t instanceof TFloat32 f) {
      TensorValue v = Tensors.toValue(f);
      double[] out = new double[v.data().length];
      for (int i = 0; i < out.length; i++) out[i] = v.data()[i];
      return out;
    }
    if (t instanceof TInt32) {
      int[] ints = Tensors.toInts(t);
      double[] out = new double[ints.length];
      for (int i = 0; i < out.length; i++) out[i] = ints[i];
      return out;
    }
    throw new IllegalStateException("unsupported metric tensor type " + t.dataType());
  }

  private static double[] add(double[] a, double[] b) {
    double[] out = a.clone();
    for (int i = 0; i < out.length; i++) out[i] += b[i];
    return out;
  }
}
