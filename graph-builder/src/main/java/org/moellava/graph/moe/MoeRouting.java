package org.moellava.graph.moe;

import org.moellava.graph.layers.AttentionMask;
import org.moellava.graph.layers.TensorOps;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.op.core.Unstack;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * The router of a MoE layer and its decisions, in fp32: {@code logits = x·Wg}, {@code probs = softmax(logits)},
 * top-k by probability (ties to the lower expert index; TopKV2 is used for its indices only), weights
 * {@code probs[top] / sum(probs[top])} when {@code norm_topk_prob}. The training form applies DeepSpeed's capacity
 * {@code max(ceil(T / E · cf · k), min_capacity)} (its {@code _capacity} with {@code capacity_factor · k}):
 * slots are given in token order, all first choices before second choices; an assignment past capacity is dropped and
 * the surviving weights are renormalised.
 *
 * @param logits {@code [N, E]} router logits
 * @param probs {@code [N, E]} softmax of the logits
 * @param chosen {@code [N, k]} chosen experts, best first (before capacity)
 * @param assigned {@code [N, E]} 1 where the token is computed by the expert (after capacity)
 * @param combine {@code [N, E]} the weight of each expert's output per token (0 where not assigned)
 * @param expertCounts {@code [E]} assignments computed per expert
 * @param dropped scalar: assignments dropped by capacity
 * @param auxLoss scalar {@code E * sum_i f_i P_i} over real tokens (f on top-1 choices, before capacity)
 */
public record MoeRouting(Operand<TFloat32> logits, Operand<TFloat32> probs, Operand<TInt32> chosen,
    Operand<TFloat32> assigned, Operand<TFloat32> combine, Operand<TInt32> expertCounts, Operand<TInt32> dropped,
    Operand<TFloat32> auxLoss) {

  private static final float DENOMINATOR_EPS = 1.1920929e-07f; // float32 machine epsilon, as DeepSpeed clamps

  /**
   * Routes {@code x [N, D]} with {@code routerKernel [D, E]}, without a capacity floor.
   *
   * @param tokenMask {@code [N]} 1 for real tokens, or null
   */
  public static MoeRouting route(Ops tf, Operand<TFloat32> x, Operand<TFloat32> routerKernel, int numExperts,
      int topK, boolean normTopkProb, Operand<TFloat32> tokenMask, Operand<TFloat64> capacityFactor,
      Operand<TFloat32> gumbelNoiseScale) {
    return route(tf, x, routerKernel, numExperts, topK, normTopkProb, tokenMask, capacityFactor, gumbelNoiseScale, 0,
        0, 0);
  }

  /**
   * Routes {@code x [N, D]} with {@code routerKernel [D, E]}.
   *
   * @param tokenMask {@code [N]} 1 for real tokens, or null
   * @param capacityFactor the capacity factor, or null for no capacity
   * @param gumbelNoiseScale scale of the Gumbel noise on the logits the second and later choices are picked from
   *     (DeepSpeed's {@code top2gating} with scale 1), or null for none
   * @param minCapacity the capacity's floor (DeepSpeed's {@code min_capacity}; 0: none)
   * @param noiseSeed with {@code noiseStream}, the seeds of the noise's random op (TF's {@code seed}, {@code seed2}:
   *     a session draws the same sequence for the same seeds)
   */
  public static MoeRouting route(Ops tf, Operand<TFloat32> x, Operand<TFloat32> routerKernel, int numExperts,
      int topK, boolean normTopkProb, Operand<TFloat32> tokenMask, Operand<TFloat64> capacityFactor,
      Operand<TFloat32> gumbelNoiseScale, int minCapacity, long noiseSeed, int noiseStream) {
    Operand<TFloat32> logits = tf.linalg.matMul(x, routerKernel); // [N,E]
    Operand<TFloat32> probs = tf.nn.softmax(logits); // [N,E]
    Operand<TInt32> chosen = chooseExperts(tf, logits, probs, topK, gumbelNoiseScale, noiseSeed, noiseStream); // [N,k]
    List<Output<TInt32>> choiceColumns = tf.unstack(chosen, (long) topK, Unstack.axis(1L)).output(); // k x [N]
    Operand<TFloat32> maskColumn = tokenMask == null ? null : tf.expandDims(tokenMask, tf.constant(1)); // [N,1]

    List<Operand<TFloat32>> choiceMasks = new ArrayList<>(); // k x [N,E], 0 for padding tokens
    for (Output<TInt32> column : choiceColumns) {
      Operand<TFloat32> oneHot = tf.oneHot(column, tf.constant(numExperts), tf.constant(1f), tf.constant(0f));
      choiceMasks.add(maskColumn == null ? oneHot : tf.math.mul(oneHot, maskColumn));
    }
    Operand<TFloat32> realTokens = tokenMask == null
        ? tf.dtypes.cast(TensorOps.dim(tf, x, 0), TFloat32.class)
        : tf.reduceSum(tokenMask, tf.constant(0)); // T
    List<Operand<TFloat32>> keptMasks = capacityFactor == null
        ? choiceMasks
        : applyCapacity(tf, choiceMasks, realTokens, capacityFactor, numExperts, topK, minCapacity);

    Operand<TInt32> rowAxis = tf.constant(1);
    List<Operand<TFloat32>> keptGates = new ArrayList<>(); // k x [N]
    for (int c = 0; c < topK; c++) {
      Operand<TFloat32> gate = tf.reduceSum(tf.math.mul(probs, choiceMasks.get(c)), rowAxis); // [N]
      keptGates.add(capacityFactor == null ? gate : tf.math.mul(gate, tf.reduceSum(keptMasks.get(c), rowAxis)));
    }
    if (normTopkProb) {
      Operand<TFloat32> denominator = keptGates.get(0);
      for (int c = 1; c < topK; c++) denominator = tf.math.add(denominator, keptGates.get(c));
      if (capacityFactor != null || tokenMask != null) {
        denominator = tf.math.maximum(denominator, tf.constant(DENOMINATOR_EPS));
      }
      List<Operand<TFloat32>> normalised = new ArrayList<>();
      for (Operand<TFloat32> g : keptGates) normalised.add(tf.math.div(g, denominator));
      keptGates = normalised;
    }
    Operand<TFloat32> combine = null;
    Operand<TFloat32> assigned = null;
    for (int c = 0; c < topK; c++) {
      Operand<TFloat32> weighted = tf.math.mul(tf.expandDims(keptGates.get(c), tf.constant(1)), keptMasks.get(c));
      combine = combine == null ? weighted : tf.math.add(combine, weighted); // [N,E]
      assigned = assigned == null ? keptMasks.get(c) : tf.math.add(assigned, keptMasks.get(c)); // [N,E]
    }
    Operand<TFloat32> perExpert = tf.reduceSum(assigned, tf.constant(0)); // [E]
    Operand<TInt32> expertCounts = tf.dtypes.cast(perExpert, TInt32.class);
    Operand<TFloat32> demanded = tf.constant(0f);
    for (Operand<TFloat32> m : choiceMasks) demanded = tf.math.add(demanded, tf.reduceSum(m, tf.constant(new int[] {0, 1})));
    Operand<TInt32> dropped = tf.dtypes.cast(
        tf.math.sub(demanded, tf.reduceSum(perExpert, tf.constant(0))), TInt32.class);

    Operand<TFloat32> tokens = tf.math.maximum(realTokens, tf.constant(1f));
    Operand<TFloat32> topOneFraction = tf.math.div(tf.reduceSum(choiceMasks.get(0), tf.constant(0)), tokens); // f [E]
    Operand<TFloat32> maskedProbs = maskColumn == null ? probs : tf.math.mul(probs, maskColumn);
    Operand<TFloat32> meanProb = tf.math.div(tf.reduceSum(maskedProbs, tf.constant(0)), tokens); // P [E]
    Operand<TFloat32> aux = tf.math.mul(tf.reduceSum(tf.math.mul(topOneFraction, meanProb), tf.constant(0)),
        tf.constant((float) numExperts));
    return new MoeRouting(logits, probs, chosen, assigned, combine, expertCounts, dropped, aux);
  }

  /**
   * Top-k experts by probability; with Gumbel noise, choices after the first are the top-(k-1) of
   * {@code logits + scale · G} with the first masked, G standard Gumbel per token and expert (DeepSpeed 0.9.5's
   * {@code top2gating}: {@code argmax(logits + gumbel_rsample(shape))} over the experts other than the first), so the
   * second choice is expert j with probability {@code exp(l_j) / Σ_{i ≠ first} exp(l_i)} at scale 1 (Gumbel-max).
   */
  private static Operand<TInt32> chooseExperts(Ops tf, Operand<TFloat32> logits, Operand<TFloat32> probs, int topK,
      Operand<TFloat32> gumbelNoiseScale, long noiseSeed, int noiseStream) {
    Operand<TFloat32> decision = tf.stopGradient(probs);
    if (gumbelNoiseScale == null || topK == 1) {
      return tf.nn.topK(decision, tf.constant(topK), TInt32.class).indices();
    }
    Operand<TInt32> first = tf.nn.topK(decision, tf.constant(1), TInt32.class).indices(); // [N,1]
    Operand<TFloat32> firstMask = tf.oneHot(tf.squeeze(first, org.tensorflow.op.core.Squeeze.axis(List.of(1L))),
        TensorOps.dim(tf, logits, 1), tf.constant(1f), tf.constant(0f)); // [N,E]
    Operand<TFloat32> uniform = tf.random.randomUniform(tf.shape(logits), TFloat32.class,
        org.tensorflow.op.random.RandomUniform.seed(noiseSeed),
        org.tensorflow.op.random.RandomUniform.seed2(noiseStream + 1L)); // [N,E] in [0, 1); seed2 > 0: deterministic
    Operand<TFloat32> tiny = tf.constant(1e-20f);
    Operand<TFloat32> gumbel = tf.math.neg(tf.math.log(tf.math.add(
        tf.math.neg(tf.math.log(tf.math.add(uniform, tiny))), tiny)));
    Operand<TFloat32> noisy = tf.math.add(tf.stopGradient(logits), tf.math.mul(gumbel, gumbelNoiseScale));
    noisy = tf.math.add(noisy, tf.math.mul(firstMask, tf.constant(AttentionMask.MASKED)));
    Operand<TInt32> rest = tf.nn.topK(noisy, tf.constant(topK - 1), TInt32.class).indices(); // [N,k-1]
    return tf.concat(List.of(first, rest), tf.constant(1));
  }

  /**
   * DeepSpeed capacity: {@code capacity = max(ceil(T / E * cf * k), min_capacity)}; slot of an assignment = number of earlier
   * assignments to the same expert, counting all first choices before any second choice; slots {@code >= capacity}
   * are dropped.
   */
  private static List<Operand<TFloat32>> applyCapacity(Ops tf, List<Operand<TFloat32>> choiceMasks,
      Operand<TFloat32> realTokens, Operand<TFloat64> capacityFactor, int numExperts, int topK, int minCapacity) {
    Operand<TFloat64> tokens = tf.dtypes.cast(realTokens, TFloat64.class);
    Operand<TFloat64> capacity64 = tf.math.ceil(tf.math.mul(tf.math.mul(
        tf.math.div(tokens, tf.constant((double) numExperts)), capacityFactor), tf.constant((double) topK)));
    if (minCapacity > 0) capacity64 = tf.math.maximum(capacity64, tf.constant((double) minCapacity));
    Operand<TFloat32> capacity = tf.dtypes.cast(capacity64, TFloat32.class);
    Operand<TInt32> tokenAxis = tf.constant(0);
    Operand<TFloat32> offset = null; // [E] assignments already placed by earlier choices
    List<Operand<TFloat32>> kept = new ArrayList<>();
    for (Operand<TFloat32> mask : choiceMasks) {
      Operand<TFloat32> slot = tf.math.sub(tf.math.cumsum(mask, tokenAxis), tf.constant(1f)); // [N,E]
      if (offset != null) slot = tf.math.add(slot, offset);
      Operand<TFloat32> fits = tf.dtypes.cast(tf.math.less(slot, capacity), TFloat32.class);
      kept.add(tf.math.mul(mask, fits));
      Operand<TFloat32> placed = tf.reduceSum(mask, tokenAxis, ReduceSum.keepDims(true)); // [1,E]
      offset = offset == null ? placed : tf.math.add(offset, placed);
    }
    return kept;
  }
}
