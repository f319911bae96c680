package org.moellava.graph.variables;

import org.moellava.graph.layers.Tensors;

import org.moellava.tensor.TensorValue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;

/** Fills a graph's variables from a weight map, and reads them back. */
public final class WeightLoader {
  private WeightLoader() {}

  /**
   * Checks that {@code weights} has every variable of {@code vars} with the right shape (extra entries, such as
   * the parts of the model another graph holds, are ignored), then assigns them in {@code session}.
   *
   * @throws InvalidInputException naming the first missing or mis-shaped variable, before anything is assigned
   */
  public static void load(Session session, ModelVariables vars, Map<String, TensorValue> weights) {
    for (ModelVariables.Entry e : vars.entries()) {
      TensorValue value = weights.get(e.spec().name());
      if (value == null) {
        throw new InvalidInputException("weights: missing variable '" + e.spec().name() + "' (expected shape "
            + Arrays.toString(e.spec().shape()) + ")");
      }
      if (!Arrays.equals(value.shape(), e.spec().shape())) {
        throw new InvalidInputException("weights: variable '" + e.spec().name() + "' has shape " + value.shapeText()
            + " but the model config needs " + Arrays.toString(e.spec().shape()));
      }
    }
    for (ModelVariables.Entry e : vars.entries()) {
      try (TFloat32 t = Tensors.floats(weights.get(e.spec().name()))) {
        session.runner().feed(e.loadValue(), t).addTarget(e.loadOp()).run().close();
      }
    }
  }

  /** The current values of every variable of {@code vars}, in creation order. */
  public static Map<String, TensorValue> read(Session session, ModelVariables vars) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    for (ModelVariables.Entry e : vars.entries()) {
      try (Result r = session.runner().fetch(e.variable()).run()) {
        out.put(e.spec().name(), Tensors.toValue(r.get(0)));
      }
    }
    return out;
  }
}
