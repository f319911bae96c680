package org.moellava.train.distributed;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The collective ops of synchronous data-parallel training ({@code CollectiveReduceV2} of TensorFlow's runtime,
 * one group of all workers):
 *
 * <ul>
 *   <li>per micro-batch, one small all-reduce of every worker's statistics, laid out as a {@code [W, 3+L]} matrix
 *       (row w: worker w's loss weight n (label tokens, or images in the vision stage), n·loss, tokens, then its L
 *       metric values); it gives each worker the weight {@code n_w / Σ n} its gradient is scaled by, so the
 *       accumulated gradient is the token-weighted mean of the shards' gradients, which is the gradient of the
 *       mean loss over the whole global batch;</li>
 *   <li>per optimiser step, one all-reduce (sum) of every accumulated gradient, flattened into one vector, before
 *       the global-norm clip and AdamW, so every worker applies the same update;</li>
 *   <li>a barrier (a scalar all-reduce), so a worker waits until the chief has written a stage's final checkpoint.</li>
 * </ul>
 *
 * Instance keys are numbered from {@code instanceBase} in build order, which is the same on every worker.
 */
public final class StepCollectives {
  private static final int GROUP_KEY = 1;

  private final Graph graph;
  private final Ops tf;
  private final Worker worker;
  private int nextInstance;
  private final Placeholder<TFloat32> weight;
  private final Placeholder<TFloat32> tokens;
  private final Operand<TFloat32> stats;
  private final Operand<TFloat32> scale;
  private final Op barrier;
  private long reducedFloatsPerStep;

  /**
   * @param loss this worker's micro-batch loss (scalar)
   * @param metrics its metric fetches (float or int32, any shape), in the order {@link #stats()} lays them out
   * @param microBatches micro-batches per optimiser step
   * @param instanceBase first instance key (distinct per stage graph)
   */
  public StepCollectives(Graph graph, Ops tf, Worker worker, Operand<TFloat32> loss, List<Operand<?>> metrics,
      int microBatches, int instanceBase) {
    this.graph = graph;
    this.tf = tf.withSubScope("distributed");
    this.worker = worker;
    this.nextInstance = instanceBase;
    Ops d = this.tf;
    weight = d.withName("loss_weight").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    tokens = d.withName("tokens").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    List<Operand<TFloat32>> parts = new ArrayList<>();
    parts.add(d.reshape(weight, d.constant(new int[] {1})));
    parts.add(d.reshape(d.math.mul(weight, loss), d.constant(new int[] {1})));
    parts.add(d.reshape(tokens, d.constant(new int[] {1})));
    for (Operand<?> m : metrics) parts.add(d.reshape(d.dtypes.cast(m, TFloat32.class), d.constant(new int[] {-1})));
    Operand<TFloat32> block = d.concat(parts, d.constant(0)); // [3+L] this worker's row
    Operand<TInt32> length = d.size(block, TInt32.class);
    Operand<TInt32> before = d.math.mul(d.constant(worker.task()), length);
    Operand<TInt32> after = d.math.mul(d.constant(worker.size() - 1 - worker.task()), length);
    Operand<TFloat32> padded = d.pad(block, d.reshape(d.stack(List.of(before, after)), d.constant(new int[] {1, 2})),
        d.constant(0f)); // [W*(3+L)], zeros outside this worker's row
    stats = d.reshape(reduce(padded, "Id"), d.stack(List.of(d.constant(worker.size()), length))); // [W, 3+L]
    Operand<TFloat32> total = d.sum(d.slice(stats, d.constant(new int[] {0, 0}), d.constant(new int[] {-1, 1})),
        d.constant(new int[] {0, 1})); // [] Σ_w n_w
    scale = d.math.div(weight, d.math.mul(total, d.constant((float) microBatches)));
    barrier = d.withControlDependencies(List.of(reduce(d.constant(new float[] {1f}), "Id"))).noOp();
  }

  /** Feed this worker's loss weight for the micro-batch: its label tokens (language) or images (vision). */
  public Placeholder<TFloat32> weight() {
    return weight;
  }

  /** Feed this worker's tokens of the micro-batch (for tokens/s and the dropped fraction). */
  public Placeholder<TFloat32> tokens() {
    return tokens;
  }

  /** {@code [W, 3+L]}: per worker its weight, weight·loss, tokens and metric values (one all-reduce). */
  public Operand<TFloat32> stats() {
    return stats;
  }

  /** The factor this worker's micro-batch gradient is accumulated with: {@code n_w / (Σ n · microBatches)}. */
  public Operand<TFloat32> microBatchScale() {
    return scale;
  }

  /** Runs once all workers reach it. */
  public Op barrier() {
    return barrier;
  }

  /** Floats all-reduced per optimiser step by {@link #allReduce} (the gradient vector). */
  public long gradientFloats() {
    return reducedFloatsPerStep;
  }

  /**
   * The sum over workers of each tensor (all flattened into one vector, all-reduced once, split back).
   *
   * @param tensors float tensors of static shapes
   */
  public List<Operand<TFloat32>> allReduce(List<Operand<TFloat32>> tensors) {
    Ops d = tf;
    List<Operand<TFloat32>> flat = new ArrayList<>();
    long[] sizes = new long[tensors.size()];
    for (int i = 0; i < tensors.size(); i++) {
      flat.add(d.reshape(tensors.get(i), d.constant(new int[] {-1})));
      sizes[i] = tensors.get(i).shape().size();
      reducedFloatsPerStep += sizes[i];
    }
    Operand<TFloat32> summed = reduce(d.concat(flat, d.constant(0)), "Id"); // [P]
    int[] splits = new int[sizes.length];
    for (int i = 0; i < sizes.length; i++) splits[i] = Math.toIntExact(sizes[i]);
    List<Operand<TFloat32>> out = new ArrayList<>();
    var parts = d.splitV(summed, d.constant(splits), d.constant(0), (long) splits.length);
    for (int i = 0; i < tensors.size(); i++) {
      out.add(d.reshape(parts.output().get(i), d.constant(tensors.get(i).shape().asArray())));
    }
    return out;
  }

  /** {@code CollectiveReduceV2}: sum over the group, then {@code finalOp} ({@code Id} or {@code Div}). */
  private Operand<TFloat32> reduce(Operand<TFloat32> input, String finalOp) {
    int instance = nextInstance++;
    Output<TFloat32> out = graph.opBuilder("CollectiveReduceV2", "distributed/all_reduce_" + instance, tf.scope())
        .addInput(input.asOutput())
        .addInput(tf.constant(worker.size()).asOutput())
        .addInput(tf.constant(GROUP_KEY).asOutput())
        .addInput(tf.constant(instance).asOutput())
        .addInputList(new Output<?>[0])
        .setAttr("merge_op", "Add")
        .setAttr("final_op", finalOp)
        .setAttr("timeout_seconds", worker.timeoutSeconds())
        .setDevice(worker.device())
        .build()
        .output(0);
    return out;
  }
}
