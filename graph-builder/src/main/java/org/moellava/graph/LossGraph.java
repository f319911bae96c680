package org.moellava.graph;

import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableGroup;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.VariableSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.moellava.config.ModelConfig;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A model graph with a scalar loss that a training stage differentiates: which variables reach the loss, their
 * gradients, and the masked cross-entropy every loss here is built from.
 */
public abstract class LossGraph extends ModelGraph {
  protected LossGraph(ModelConfig config, List<VariableSpec> specs) {
    super(config, specs);
  }

  /** The scalar the optimiser minimises. */
  public abstract Operand<TFloat32> loss();

  /**
   * Whether the loss depends on variable {@code name}: vision layers past the feature layer and the vision
   * post_layernorm are in the graph (so checkpoints hold them) but do not affect the loss.
   */
  public boolean affectsLoss(String name) {
    if (name.startsWith(VariableNames.POST_LAYERNORM + "/")) return false;
    for (int i = config.visionLayersUsed(); i < config.visionConfig().numHiddenLayers(); i++) {
      if (name.startsWith(VariableNames.visionLayer(i) + "/")) return false;
    }
    return true;
  }

  /** The variables of {@code groups} that affect the loss, in creation order. */
  public List<ModelVariables.Entry> trainableVariables(Set<VariableGroup> groups) {
    List<ModelVariables.Entry> out = new ArrayList<>();
    for (ModelVariables.Entry e : variables.inGroups(groups)) {
      if (affectsLoss(e.spec().name())) out.add(e);
    }
    return out;
  }

  /** Adds {@code d loss / d v} for {@code vars}; the i-th gradient belongs to the i-th variable. */
  public Output<?>[] addGradients(List<ModelVariables.Entry> vars) {
    Output<?>[] xs = new Output<?>[vars.size()];
    for (int i = 0; i < xs.length; i++) xs[i] = vars.get(i).variable();
    return graph.addGradients(loss().asOutput(), xs);
  }

  /**
   * Mean cross-entropy of {@code logits [N, C]} against {@code labels} (any shape with N elements); a label outside
   * {@code [0, C)} (-100, -1) is ignored: its one-hot row is all zeros. Built from a rank-2 logSoftmax, because TF's
   * C++ LogSoftmax gradient is right only for rank 2.
   */
  protected Operand<TFloat32> maskedCrossEntropy(Operand<TFloat32> logits, Operand<TInt32> labels, int classes) {
    Operand<TFloat32> oneHot = tf.oneHot(tf.reshape(labels, tf.constant(new int[] {-1})), tf.constant(classes),
        tf.constant(1f), tf.constant(0f)); // [N, C]
    Operand<TFloat32> nll = tf.math.neg(tf.reduceSum(tf.math.mul(tf.nn.logSoftmax(logits), oneHot),
        tf.constant(new int[] {0, 1})));
    Operand<TFloat32> counted = tf.reduceSum(oneHot, tf.constant(new int[] {0, 1}));
    return tf.math.div(nll, tf.math.maximum(counted, tf.constant(1f)));
  }
}
