package org.moellava.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.variables.ModelVariables;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.layers.Tensors;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * Loads and reads many variables in one session run each way. A run per variable (as {@code WeightLoader} does)
 * makes TensorFlow prepare a new executor each time, which costs seconds on a training graph with gradients.
 */
final class VariableIo {
  /** A variable with its feedable assign. */
  record Target(String name, long[] shape, Output<TFloat32> variable, Placeholder<TFloat32> value,
      Assign<TFloat32> assign) {}

  private VariableIo() {}

  /** The model variables of a graph as targets. */
  static List<Target> of(ModelVariables vars) {
    List<Target> out = new ArrayList<>();
    for (ModelVariables.Entry e : vars.entries()) {
      out.add(new Target(e.spec().name(), e.spec().shape(), e.variable(), e.loadValue(), e.loadOp()));
    }
    return out;
  }

  /**
   * Checks that {@code values} has every target with the right shape, then assigns them all in one run.
   *
   * @throws InvalidInputException naming the first missing or mis-shaped variable, before anything is assigned
   */
  static void load(Session session, List<Target> targets, Map<String, TensorValue> values, String what) {
    for (Target t : targets) {
      TensorValue v = values.get(t.name());
      if (v == null) {
        throw new InvalidInputException(what + ": missing variable '" + t.name() + "' (expected shape "
            + Arrays.toString(t.shape()) + ")");
      }
      if (!Arrays.equals(v.shape(), t.shape())) {
        throw new InvalidInputException(what + ": variable '" + t.name() + "' has shape " + v.shapeText()
            + " but the model needs " + Arrays.toString(t.shape()));
      }
    }
    List<Tensor> owned = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (Target t : targets) {
        TFloat32 tensor = Tensors.floats(values.get(t.name()));
        owned.add(tensor);
        runner.feed(t.value(), tensor).addTarget(t.assign());
      }
      if (!targets.isEmpty()) runner.run().close();
    } finally {
      owned.forEach(Tensor::close);
    }
  }

  /** The current values of {@code targets}, by name, in one run. */
  static Map<String, TensorValue> read(Session session, List<Target> targets) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    if (targets.isEmpty()) return out;
    Session.Runner runner = session.runner();
    targets.forEach(t -> runner.fetch(t.variable()));
    try (Result r = runner.run()) {
      for (int i = 0; i < targets.size(); i++) out.put(targets.get(i).name(), Tensors.toValue(r.get(i)));
    }
    return out;
  }
}
