package org.moellava.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.tensor.TensorValue;

/**
 * One optimiser step's statistics of a distributed run, from the all-reduced {@code [W, 3+L]} matrix of each
 * micro-batch (row w: worker w's loss weight n, n·loss, tokens, metric values; see
 * {@link org.moellava.train.distributed.StepCollectives}). Global figures: the loss and mean-type metrics (ce, aux,
 * per-layer aux, accuracies) are means over the workers weighted by n (the weighting of the gradient, so the global
 * loss is the loss of the whole global batch); counts (tokens per expert, dropped tokens) are sums.
 */
final class WorkerStats {
  private final int workers;
  private final List<String> names;
  private final Map<String, double[]> global = new LinkedHashMap<>();
  private final List<Map<String, double[]>> perWorker = new ArrayList<>();
  private final double[] workerLoss;
  private final long[] workerTokens;
  private double lossSum;
  private long tokens;

  WorkerStats(int workers, Set<String> names) {
    this.workers = workers;
    this.names = List.copyOf(names);
    this.workerLoss = new double[workers];
    this.workerTokens = new long[workers];
    for (int w = 0; w < workers; w++) perWorker.add(new LinkedHashMap<>());
  }

  /** Adds one micro-batch; {@code lengths} gives each metric's length (this worker's own sums). */
  void add(TensorValue stats, Map<String, double[]> lengths) {
    float[] s = stats.data();
    int row = s.length / workers;
    double total = 0;
    double weightedLoss = 0;
    for (int w = 0; w < workers; w++) {
      total += s[w * row];
      weightedLoss += s[w * row + 1];
    }
    lossSum += total > 0 ? weightedLoss / total : 0;
    for (int w = 0; w < workers; w++) {
      double n = s[w * row];
      workerLoss[w] += n > 0 ? s[w * row + 1] / n : 0;
      workerTokens[w] += Math.round(s[w * row + 2]);
      tokens += Math.round(s[w * row + 2]);
      int at = w * row + 3;
      for (String name : names) {
        int len = lengths.get(name).length;
        double[] own = new double[len];
        double[] share = new double[len];
        boolean count = isCount(name);
        for (int k = 0; k < len; k++) {
          own[k] = s[at + k];
          share[k] = count ? own[k] : (total > 0 ? own[k] * n / total : 0);
        }
        at += len;
        perWorker.get(w).merge(name, own, WorkerStats::add);
        global.merge(name, share, WorkerStats::add);
      }
    }
  }

  /** Counts add up over workers; everything else is a mean. */
  private static boolean isCount(String name) {
    return name.startsWith("experts.") || name.startsWith("dropped.");
  }

  /** The global loss of the step: the mean over micro-batches of each global micro-batch's loss. */
  double loss(int microBatches) {
    return lossSum / microBatches;
  }

  /** Tokens of all workers in the step. */
  long tokens() {
    return tokens;
  }

  /** The global metric sums over micro-batches, as {@link StageGraph#stepMetrics} takes them. */
  Map<String, double[]> globalSums() {
    return global;
  }

  /** Per worker (key: task index): its own loss, tokens and metrics. */
  Map<String, Object> perWorker(StageGraph g, int microBatches) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int w = 0; w < workers; w++) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("loss", workerLoss[w] / microBatches);
      m.put("tokens", workerTokens[w]);
      m.putAll(g.stepMetrics(perWorker.get(w), microBatches, workerTokens[w]));
      out.put(Integer.toString(w), m);
    }
    return out;
  }

  private static double[] add(double[] a, double[] b) {
    double[] out = a.clone();
    for (int i = 0; i < out.length; i++) out[i] += b[i];
    return out;
  }
}
