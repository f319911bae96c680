package org.moellava.graph.moe;

import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableNames;

import org.moellava.config.TextConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** A MoE FFN layer: router plus E experts (SwiGLU or fc MLPs), top-k routing (no shared expert). */
public final class MoeBlock {
  private MoeBlock() {}

  /**
   * The block's result.
   *
   * @param output same shape as the input
   * @param routing the router's decisions and statistics
   */
  public record Output(Operand<TFloat32> output, MoeRouting routing) {}

  /** The MoE FFN of decoder layer {@code layer} on {@code x [B, S, D]}. */
  public static Output apply(Ops tf, ModelVariables vars, int layer, TextConfig config, Operand<TFloat32> x,
      MoeOptions options) {
    return apply(tf, x, vars.get(VariableNames.routerKernel(layer)), ExpertWeights.of(vars, layer, config),
        config.numExperts(), config.numExpertsPerTok(), config.normTopkProb(), options.withNoiseStream(layer));
  }

  /**
   * The block on {@code x [B, S, D]} (or {@code [N, D]}) with explicit weights: {@code router [D, E]},
   * {@code gate/up [E, D, I]}, {@code down [E, I, D]}. The options' token mask has the leading shape of {@code x}.
   */
  public static Output apply(Ops tf, Operand<TFloat32> x, Operand<TFloat32> router, Operand<TFloat32> gate,
      Operand<TFloat32> up, Operand<TFloat32> down, int numExperts, int topK, boolean normTopkProb,
      MoeOptions options) {
    return apply(tf, x, router, ExpertWeights.swiGlu(gate, up, down), numExperts, topK, normTopkProb, options);
  }

  /** The block on {@code x [B, S, D]} (or {@code [N, D]}) with {@code router [D, E]} and experts of any MLP type. */
  public static Output apply(Ops tf, Operand<TFloat32> x, Operand<TFloat32> router, ExpertWeights experts,
      int numExperts, int topK, boolean normTopkProb, MoeOptions options) {
    int hidden = (int) router.shape().get(0);
    Operand<TFloat32> tokens = tf.reshape(x, tf.constant(new int[] {-1, hidden})); // [N,D]
    Operand<TFloat32> tokenMask = options.tokenMask() == null ? null
        : tf.reshape(options.tokenMask(), tf.constant(new int[] {-1})); // [N]
    MoeRouting routing = MoeRouting.route(tf, tokens, router, numExperts, topK, normTopkProb, tokenMask,
        options.capacityFactor(), options.gumbelNoiseScale(), options.minCapacity(), options.noiseSeed(),
        options.noiseStream());
    Operand<TFloat32> out = options.dispatch() == MoeOptions.Dispatch.SPARSE
        ? ExpertDispatch.sparse(tf, tokens, routing.assigned(), routing.combine(), experts, numExperts)
        : ExpertDispatch.denseMasked(tf, tokens, routing.combine(), experts, numExperts);
    return new Output(tf.reshape(out, tf.shape(x)), routing);
  }
}
