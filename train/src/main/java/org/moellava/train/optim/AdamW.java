package org.moellava.train.optim;

import java.util.ArrayList;
import java.util.List;
import org.moellava.graph.layers.NameScopes;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * AdamW (Loshchilov and Hutter, decoupled weight decay) built as graph ops, with the learning rate fed each
 * step and optional clipping of the gradients by their global norm. It matches PyTorch's {@code AdamW}:
 *
 * <pre>
 *   g      = g · min(1, maxNorm / ‖g‖)                (when maxNorm > 0)
 *   m      = β1·m + (1-β1)·g
 *   v      = β2·v + (1-β2)·g²
 *   p      = p·(1 - lr·wd) - lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)
 * </pre>
 *
 * The moments live in variables {@code optimizer/<name>/m|v} and the step count in {@code optimizer/step}, so
 * a checkpoint of the graph's variables resumes exactly.
 */
public final class AdamW {
  /** Name of the step-count variable. */
  public static final String STEP_VARIABLE = "optimizer/step";

  /**
   * Hyper-parameters other than the learning rate.
   *
   * @param beta1 first-moment decay (0.9)
   * @param beta2 second-moment decay (0.999)
   * @param epsilon denominator epsilon (1e-8)
   * @param weightDecay decoupled weight decay
   * @param maxGradNorm global-norm clip; 0 disables clipping
   */
  public record Config(double beta1, double beta2, double epsilon, double weightDecay, double maxGradNorm) {
    /** PyTorch's defaults with the given decay and clip. */
    public static Config defaults(double weightDecay, double maxGradNorm) {
      return new Config(0.9, 0.999, 1e-8, weightDecay, maxGradNorm);
    }
  }

  /**
   * The ops an optimiser step runs.
   *
   * @param learningRate placeholder to feed with the scheduled rate (scalar float)
   * @param update runs one optimiser step
   * @param gradNorm global norm of the gradients before clipping
   * @param slotNames names of the optimiser's own variables (moments and step), for checkpoints
   * @param initializers assign the slots their initial zeros
   */
  public record Step(Placeholder<TFloat32> learningRate, Op update, Operand<TFloat32> gradNorm,
      List<String> slotNames, List<Op> initializers) {}

  private AdamW() {}


  /**
   * Adds the update ops for {@code vars} given their gradients {@code grads} (same order). {@code names} is the
   * graph's one {@link NameScopes}, so the optimiser's variables get exact names.
   */
  public static Step build(Ops tf, NameScopes names, List<TrainableVariable> vars, List<Operand<TFloat32>> grads,
      Config config) {
    if (vars.size() != grads.size()) {
      throw new IllegalArgumentException(vars.size() + " variables but " + grads.size() + " gradients");
    }
    Placeholder<TFloat32> lr = names.named("optimizer/learning_rate").placeholder(TFloat32.class,
        Placeholder.shape(Shape.scalar()));
    Operand<TFloat32> gradNorm = GlobalNorm.of(tf, grads);
    List<Operand<TFloat32>> clipped = config.maxGradNorm() > 0
        ? GlobalNorm.clip(tf, grads, gradNorm, (float) config.maxGradNorm())
        : grads;

    List<String> slots = new ArrayList<>();
    List<Op> inits = new ArrayList<>();
    Variable<TFloat32> step = names.named(STEP_VARIABLE).variable(Shape.scalar(), TFloat32.class);
    slots.add(STEP_VARIABLE);
    inits.add(tf.assign(step, tf.constant(0f)));
    Operand<TFloat32> t = tf.assignAdd(step, tf.constant(1f)); // [] new step count
    Operand<TFloat32> b1 = tf.constant((float) config.beta1());
    Operand<TFloat32> b2 = tf.constant((float) config.beta2());
    Operand<TFloat32> one = tf.constant(1f);
    Operand<TFloat32> correction1 = tf.math.sub(one, tf.math.pow(b1, t));
    Operand<TFloat32> correction2 = tf.math.sub(one, tf.math.pow(b2, t));

    List<Op> updates = new ArrayList<>();
    for (int i = 0; i < vars.size(); i++) {
      TrainableVariable tv = vars.get(i);
      Operand<TFloat32> g = clipped.get(i);
      Shape shape = tv.variable().shape();
      Variable<TFloat32> m = names.named("optimizer/" + tv.name() + "/m").variable(shape, TFloat32.class);
      Variable<TFloat32> v = names.named("optimizer/" + tv.name() + "/v").variable(shape, TFloat32.class);
      slots.add("optimizer/" + tv.name() + "/m");
      slots.add("optimizer/" + tv.name() + "/v");
      inits.add(tf.assign(m, tf.zerosLike(tv.variable())));
      inits.add(tf.assign(v, tf.zerosLike(tv.variable())));

      Operand<TFloat32> mNew = tf.assign(m, tf.math.add(tf.math.mul(b1, m), tf.math.mul(tf.math.sub(one, b1), g)));
      Operand<TFloat32> vNew = tf.assign(v,
          tf.math.add(tf.math.mul(b2, v), tf.math.mul(tf.math.sub(one, b2), tf.math.square(g))));
      Operand<TFloat32> mHat = tf.math.div(mNew, correction1);
      Operand<TFloat32> vHat = tf.math.div(vNew, correction2);
      Operand<TFloat32> adam = tf.math.div(mHat, tf.math.add(tf.math.sqrt(vHat), tf.constant((float) config.epsilon())));
      Operand<TFloat32> p = tv.variable();
      if (tv.decays() && config.weightDecay() > 0) {
        p = tf.math.mul(p, tf.math.sub(one, tf.math.mul(lr, tf.constant((float) config.weightDecay()))));
      }
      updates.add(tf.assign(tv.variable(), tf.math.sub(p, tf.math.mul(lr, adam))));
    }
    Op update = names.named("optimizer/update").withControlDependencies(updates).noOp();
    return new Step(lr, update, gradNorm, List.copyOf(slots), List.copyOf(inits));
  }
}
