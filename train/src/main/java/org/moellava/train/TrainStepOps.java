package org.moellava.train;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.layers.NameScopes;
import org.moellava.graph.variables.VariableGroup;
import org.moellava.train.distributed.StepCollectives;
import org.moellava.train.optim.AdamW;
import org.moellava.train.optim.TrainableVariable;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The optimiser ops of a stage. Each micro-batch adds {@code grad / accum} into accumulator variables
 * ({@code optimizer/<name>/acc}); after the last micro-batch of a step, AdamW updates the variables from the
 * accumulators (clipped by their global norm) and resets them. Keeping the gradients in accumulators also lets the
 * trainer check the loss and every group's gradients for NaN/Inf before anything is updated.
 */
final class TrainStepOps {
  private final Op accumulate;
  private final Op applyAndReset;
  private final Op initialize;
  private final Placeholder<TFloat32> learningRate;
  private final Operand<TFloat32> gradNorm;
  private final Map<VariableGroup, Operand<TFloat32>> groupSquares;
  private final List<VariableIo.Target> slots;

  /**
   * @param vars the trained variables
   * @param grads their gradients, same order
   * @param microBatches micro-batches per optimiser step
   * @param sync a distributed run's collectives (gradients weighted per micro-batch, all-reduced before AdamW);
   *     null in a single process
   */
  TrainStepOps(Graph graph, Ops tf, List<ModelVariables.Entry> vars, Output<?>[] grads, int microBatches,
      AdamW.Config config, StepCollectives sync) {
    NameScopes names = new NameScopes(tf);
    Operand<TFloat32> scale = sync == null ? tf.constant(1f / microBatches) : sync.microBatchScale();
    List<Op> accumulates = new ArrayList<>();
    List<Op> inits = new ArrayList<>();
    List<Variable<TFloat32>> accumulators = new ArrayList<>();
    List<Operand<TFloat32>> accumulated = new ArrayList<>();
    List<TrainableVariable> trainables = new ArrayList<>();
    Map<VariableGroup, List<Operand<TFloat32>>> byGroup = new EnumMap<>(VariableGroup.class);
    for (int i = 0; i < vars.size(); i++) {
      ModelVariables.Entry e = vars.get(i);
      @SuppressWarnings("unchecked")
      Operand<TFloat32> g = (Operand<TFloat32>) grads[i];
      Variable<TFloat32> acc = names.named("optimizer/" + e.spec().name() + "/acc")
          .variable(Shape.of(e.spec().shape()), TFloat32.class);
      accumulators.add(acc);
      accumulates.add(tf.assignAdd(acc, tf.math.mul(g, scale)));
      inits.add(tf.assign(acc, tf.zerosLike(e.variable()))); // the model variable is loaded before this runs
      accumulated.add(tf.identity(acc));
      trainables.add(new TrainableVariable(e.spec().name(), e.variable(), decays(e)));
      byGroup.computeIfAbsent(e.spec().group(), k -> new ArrayList<>()).add(g);
    }
    accumulate = tf.withControlDependencies(accumulates).noOp();
    if (sync != null) accumulated = sync.allReduce(accumulated); // the same summed gradient on every worker
    AdamW.Step step = AdamW.build(tf, names, trainables, accumulated, config);
    learningRate = step.learningRate();
    gradNorm = step.gradNorm();
    List<Op> resets = new ArrayList<>();
    Ops afterUpdate = tf.withControlDependencies(List.of(step.update(), step.gradNorm())); // gradNorm reads acc first
    for (int i = 0; i < accumulators.size(); i++) {
      resets.add(afterUpdate.assign(accumulators.get(i), tf.zerosLike(vars.get(i).variable())));
    }
    applyAndReset = tf.withControlDependencies(resets).noOp();
    inits.addAll(step.initializers());
    initialize = tf.withControlDependencies(inits).noOp();

    groupSquares = new LinkedHashMap<>();
    for (Map.Entry<VariableGroup, List<Operand<TFloat32>>> e : byGroup.entrySet()) {
      Operand<TFloat32> norm = org.moellava.train.optim.GlobalNorm.of(tf, e.getValue());
      groupSquares.put(e.getKey(), norm);
    }
    Ops load = tf.withSubScope("slot_load");
    slots = new ArrayList<>();
    for (String name : step.slotNames()) {
      Output<TFloat32> variable = graph.operation(name).<TFloat32>output(0);
      Placeholder<TFloat32> value = load.placeholder(TFloat32.class, Placeholder.shape(variable.shape()));
      slots.add(new VariableIo.Target(name, variable.shape().asArray(), variable, value, load.assign(variable, value)));
    }
  }

  /** Matrices decay; biases, norms, embeddings and CLIP's class/position embeddings do not. */
  private static boolean decays(ModelVariables.Entry e) {
    String name = e.spec().name();
    return e.spec().shape().length >= 2 && e.spec().group() != VariableGroup.EMBEDDINGS
        && !name.endsWith("_embedding");
  }

  /** Adds this micro-batch's scaled gradients to the accumulators. */
  Op accumulate() {
    return accumulate;
  }

  /** Applies AdamW from the accumulators, then zeroes them. */
  Op applyAndReset() {
    return applyAndReset;
  }

  /** Zeroes the accumulators, the moments and the step count. */
  Op initialize() {
    return initialize;
  }

  /** Feed the scheduled rate here when running {@link #applyAndReset}. */
  Placeholder<TFloat32> learningRate() {
    return learningRate;
  }

  /** Global norm of the accumulated gradient, before clipping. */
  Operand<TFloat32> gradNorm() {
    return gradNorm;
  }

  /** Per trained group, the L2 norm of this micro-batch's gradient (non-finite when any element is). */
  Map<VariableGroup, Operand<TFloat32>> groupNorms() {
    return groupSquares;
  }

  /** The optimiser's own variables (saved in checkpoints for an exact resume). */
  List<VariableIo.Target> slots() {
    return slots;
  }
}
