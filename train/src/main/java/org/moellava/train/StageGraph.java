package org.moellava.train;

import java.util.List;
import java.util.Map;
import org.moellava.graph.LossGraph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;

/** What the trainer needs from a stage's graph: the loss, its gradients, per-step metrics, and how to feed a batch. */
interface StageGraph extends AutoCloseable {
  /** The graph: its loss, the variables that reach it, their gradients, and its ops. */
  LossGraph graph();

  /** Extra outputs fetched each micro-batch (float or int32 scalars and vectors), by metric name. */
  Map<String, Operand<?>> metricFetches();

  /**
   * The metrics of one optimiser step for {@code metrics.jsonl}.
   *
   * @param sums each metric fetch summed over the step's micro-batches (scalars have length 1)
   * @param microBatches micro-batches in the step
   * @param tokens tokens processed in the step
   */
  Map<String, Object> stepMetrics(Map<String, double[]> sums, int microBatches, long tokens);

  /** Feeds {@code batch} into {@code runner}; the created tensors are added to {@code owned} for the caller to close. */
  void feed(Session.Runner runner, StageBatch batch, List<Tensor> owned);

  @Override
  void close();
}
