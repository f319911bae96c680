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
    DirectWeights direct = weights instanceof DirectWeights d ? d : null;
    for (ModelVariables.Entry e : vars.entries()) {
      String name = e.spec().name();
      // weights read one at a time answer the shape without reading the variable
      long[] shape = direct != null ? direct.shape(name) : shapeOf(weights.get(name));
      if (shape == null) {
        throw new InvalidInputException("weights: missing variable '" + name + "' (expected shape "
            + Arrays.toString(e.spec().shape()) + ")");
      }
      if (!Arrays.equals(shape, e.spec().shape())) {
        throw new InvalidInputException("weights: variable '" + name + "' has shape " + Arrays.toString(shape)
            + " but the model config needs " + Arrays.toString(e.spec().shape()));
      }
    }
    for (ModelVariables.Entry e : vars.entries()) {
      if (direct != null) {
        direct.withTensor(e.spec().name(), t -> assign(session, e, t));
        continue;
      }
      try (TFloat32 t = Tensors.floats(weights.get(e.spec().name()))) {
        assign(session, e, t);
      }
    }
  }

  private static long[] shapeOf(TensorValue value) {
    return value == null ? null : value.shape();
  }

  private static void assign(Session session, ModelVariables.Entry e, TFloat32 value) {
    session.runner().feed(e.loadValue(), value).addTarget(e.loadOp()).run().close();
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
