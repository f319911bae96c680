package org.moellava.graph.moe;

import java.util.ArrayList;
import java.util.List;
import org.moellava.config.MlpType;
import org.moellava.config.TextConfig;
import org.moellava.graph.layers.Activations;
import org.moellava.graph.layers.FeedForward;
import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableNames;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The stacked weights of the E experts of a MoE layer, in one of the two MLP types (one expert: the same with the
 * leading {@code E} axis dropped).
 *
 * <ul>
 *   <li>{@link MlpType#SWIGLU}: {@code down(silu(x·gate) * (x·up))}, {@code first} = gate {@code [E, D, I]},
 *       {@code up [E, D, I]}, {@code second} = down {@code [E, I, D]}, no biases.</li>
 *   <li>{@link MlpType#FC}: {@code fc2(act(x·fc1 + b1)) + b2}, {@code first} = fc1 {@code [E, D, I]},
 *       {@code firstBias [E, I]} or null, {@code second} = fc2 {@code [E, I, D]}, {@code secondBias [E, D]} or null,
 *       {@code up} null.</li>
 * </ul>
 *
 * @param type the MLP type
 * @param activation the activation of an fc MLP ({@code hidden_act}); SwiGLU always uses silu
 */
public record ExpertWeights(MlpType type, String activation, Operand<TFloat32> first, Operand<TFloat32> firstBias,
    Operand<TFloat32> up, Operand<TFloat32> second, Operand<TFloat32> secondBias) {

  /** SwiGLU experts {@code gate/up [E, D, I]}, {@code down [E, I, D]}. */
  public static ExpertWeights swiGlu(Operand<TFloat32> gate, Operand<TFloat32> up, Operand<TFloat32> down) {
    return new ExpertWeights(MlpType.SWIGLU, "silu", gate, null, up, down, null);
  }

  /** fc experts {@code fc1 [E, D, I]}, {@code fc2 [E, I, D]} with optional biases {@code [E, I]}, {@code [E, D]}. */
  public static ExpertWeights fc(Operand<TFloat32> fc1, Operand<TFloat32> bias1, Operand<TFloat32> fc2,
      Operand<TFloat32> bias2, String activation) {
    return new ExpertWeights(MlpType.FC, activation, fc1, bias1, null, fc2, bias2);
  }

  /** The experts of MoE layer {@code layer} from the graph's variables. */
  public static ExpertWeights of(ModelVariables vars, int layer, TextConfig config) {
    return switch (config.mlpType()) {
      case SWIGLU -> swiGlu(vars.get(VariableNames.expertsGate(layer)), vars.get(VariableNames.expertsUp(layer)),
          vars.get(VariableNames.expertsDown(layer)));
      case FC -> fc(vars.get(VariableNames.expertsFc1(layer)),
          config.mlpBias() ? vars.get(VariableNames.expertsFc1Bias(layer)) : null,
          vars.get(VariableNames.expertsFc2(layer)),
          config.mlpBias() ? vars.get(VariableNames.expertsFc2Bias(layer)) : null, config.hiddenAct());
    };
  }

  /** The weights of each expert, in expert order (each tensor without the leading {@code E} axis). */
  public List<ExpertWeights> unstack(Ops tf, int numExperts) {
    List<Output<TFloat32>> f = tf.unstack(first, (long) numExperts).output();
    List<Output<TFloat32>> u = up == null ? null : tf.unstack(up, (long) numExperts).output();
    List<Output<TFloat32>> s = tf.unstack(second, (long) numExperts).output();
    List<Output<TFloat32>> fb = firstBias == null ? null : tf.unstack(firstBias, (long) numExperts).output();
    List<Output<TFloat32>> sb = secondBias == null ? null : tf.unstack(secondBias, (long) numExperts).output();
    List<ExpertWeights> out = new ArrayList<>();
    for (int e = 0; e < numExperts; e++) {
      out.add(new ExpertWeights(type, activation, f.get(e), fb == null ? null : fb.get(e), u == null ? null : u.get(e),
          s.get(e), sb == null ? null : sb.get(e)));
    }
    return out;
  }

  /** One expert's FFN on {@code x [n, D]} (this record holding one expert's 2-D weights): {@code [n, D]}. */
  public Operand<TFloat32> apply(Ops tf, Operand<TFloat32> x) {
    return switch (type) {
      case SWIGLU -> FeedForward.swiGlu(tf, x, first, up, second);
      case FC -> FeedForward.fc(tf, x, first, firstBias, second, secondBias, activation);
    };
  }

  /** Every expert on every token at once: {@code xs [E, N, D]} to {@code [E, N, D]} (batched matmuls). */
  public Operand<TFloat32> applyAll(Ops tf, Operand<TFloat32> xs) {
    return switch (type) {
      case SWIGLU -> {
        Operand<TFloat32> g = Activations.silu(tf, tf.train.batchMatMul(xs, first, TFloat32.class)); // [E,N,I]
        Operand<TFloat32> u = tf.train.batchMatMul(xs, up, TFloat32.class); // [E,N,I]
        yield tf.train.batchMatMul(tf.math.mul(g, u), second, TFloat32.class); // [E,N,D]
      }
      case FC -> {
        Operand<TFloat32> h = tf.train.batchMatMul(xs, first, TFloat32.class); // [E,N,I]
        if (firstBias != null) h = tf.math.add(h, tf.expandDims(firstBias, tf.constant(1))); // + [E,1,I]
        h = Activations.byName(tf, activation, h);
        Operand<TFloat32> y = tf.train.batchMatMul(h, second, TFloat32.class); // [E,N,D]
        yield secondBias == null ? y : tf.math.add(y, tf.expandDims(secondBias, tf.constant(1))); // + [E,1,D]
      }
    };
  }
}
