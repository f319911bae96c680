package org.moellava.graph.layers;

import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableNames;

import org.moellava.config.TextConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The feed-forward blocks: the decoder FFN and each expert (SwiGLU, or fc1/fc2 for Phi-2), the CLIP MLP, and the
 * projector.
 */
public final class FeedForward {
  private FeedForward() {}

  /** {@code down(silu(x·gate) * (x·up))} for {@code x [..., D]}, {@code gate/up [D, I]}, {@code down [I, D]}. */
  public static Operand<TFloat32> swiGlu(Ops tf, Operand<TFloat32> x, Operand<TFloat32> gate, Operand<TFloat32> up,
      Operand<TFloat32> down) {
    Operand<TFloat32> g = Activations.silu(tf, Linear.apply(tf, x, gate, null)); // [..., I]
    Operand<TFloat32> u = Linear.apply(tf, x, up, null); // [..., I]
    return Linear.apply(tf, tf.math.mul(g, u), down, null); // [..., D]
  }

  /**
   * {@code fc2(act(x·fc1 + b1)) + b2} for {@code x [..., D]}, {@code fc1 [D, I]}, {@code fc2 [I, D]}; the biases
   * {@code b1 [I]}, {@code b2 [D]} may be null.
   */
  public static Operand<TFloat32> fc(Ops tf, Operand<TFloat32> x, Operand<TFloat32> fc1, Operand<TFloat32> bias1,
      Operand<TFloat32> fc2, Operand<TFloat32> bias2, String activation) {
    Operand<TFloat32> h = Activations.byName(tf, activation, Linear.apply(tf, x, fc1, bias1)); // [..., I]
    return Linear.apply(tf, h, fc2, bias2); // [..., D]
  }

  /** The dense decoder FFN (SwiGLU) of layer {@code layer}. */
  public static Operand<TFloat32> denseDecoderFfn(Ops tf, ModelVariables vars, int layer, Operand<TFloat32> x) {
    return swiGlu(tf, x, vars.get(VariableNames.denseGate(layer)), vars.get(VariableNames.denseUp(layer)),
        vars.get(VariableNames.denseDown(layer)));
  }

  /** The dense decoder FFN of layer {@code layer} in the MLP type of {@code config}, on {@code x [B, S, D]}. */
  public static Operand<TFloat32> denseDecoderFfn(Ops tf, ModelVariables vars, int layer, Operand<TFloat32> x,
      TextConfig config) {
    return switch (config.mlpType()) {
      case SWIGLU -> denseDecoderFfn(tf, vars, layer, x);
      case FC -> fc(tf, x, vars.get(VariableNames.denseFc1(layer) + "/kernel"),
          config.mlpBias() ? vars.get(VariableNames.denseFc1(layer) + "/bias") : null,
          vars.get(VariableNames.denseFc2(layer) + "/kernel"),
          config.mlpBias() ? vars.get(VariableNames.denseFc2(layer) + "/bias") : null, config.hiddenAct());
    };
  }

  /** CLIP MLP {@code fc2(quick_gelu(fc1(x)))}, both with biases. */
  public static Operand<TFloat32> clipMlp(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x) {
    return visionMlp(tf, vars, prefix, x, "quick_gelu");
  }

  /**
   * A vision encoder MLP {@code fc2(act(fc1(x)))}, both with biases; {@code act} is {@code vision_config.hidden_act}:
   * {@code quick_gelu} (CLIP) or {@code gelu_pytorch_tanh} (SigLIP).
   */
  public static Operand<TFloat32> visionMlp(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x,
      String act) {
    Operand<TFloat32> pre = Linear.apply(tf, vars, prefix + "/fc1", x, true);
    Operand<TFloat32> h = switch (act) {
      case "quick_gelu" -> Activations.quickGelu(tf, pre);
      case "gelu_pytorch_tanh" -> Activations.geluNew(tf, pre); // the same tanh approximation as gelu_new
      default -> throw new IllegalArgumentException("unsupported vision activation '" + act
          + "' (quick_gelu, gelu_pytorch_tanh)");
    };
    return Linear.apply(tf, vars, prefix + "/fc2", h, true);
  }

  /** The projector {@code linear_2(gelu(linear_1(x)))}, exact gelu, both with biases: {@code [.., Dv] -> [.., D]}. */
  public static Operand<TFloat32> projector(Ops tf, ModelVariables vars, Operand<TFloat32> x) {
    Operand<TFloat32> h = Activations.gelu(tf, Linear.apply(tf, vars, VariableNames.PROJECTOR_LINEAR_1, x, true));
    return Linear.apply(tf, vars, VariableNames.PROJECTOR_LINEAR_2, h, true);
  }
}
