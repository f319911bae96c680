package org.moellava.graph.variables;

import org.moellava.tensor.TensorValue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;

/**
 * MoE-Tuning stage III initialisation ("sparse upcycling"): from a dense model's weights, every expert of a MoE
 * layer is an exact copy of that layer's dense FFN (SwiGLU gate/up/down, or fc1/fc2 with their biases); routers are
 * seeded random. Every other weight is copied.
 */
public final class Upcycler {
  private Upcycler() {}

  /**
   * The MoE model's weights.
   *
   * @param moeConfig the target config (its MoE layers get experts)
   * @param dense weights of the dense model with the same config but {@code moe_layers = none}
   * @param seed seed of the router initialisation
   * @throws ConfigException if {@code moe_intermediate_size != intermediate_size}
   * @throws InvalidInputException if a dense FFN weight is missing or mis-shaped
   */
  public static Map<String, TensorValue> upcycle(ModelConfig moeConfig, Map<String, TensorValue> dense, long seed) {
    TextConfig t = moeConfig.textConfig();
    if (t.moeIntermediateSize() != t.intermediateSize()) {
      throw new ConfigException("text_config.moe_intermediate_size: upcycling copies the dense FFN into each expert, "
          + "so it must equal intermediate_size " + t.intermediateSize() + ", got " + t.moeIntermediateSize());
    }
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, TensorValue> out = new LinkedHashMap<>();
    for (VariableSpec spec : ModelVariableSpecs.all(moeConfig)) {
      String name = spec.name();
      TensorValue value = dense.get(name);
      if (value != null) {
        out.put(name, value);
      }
    }
    int experts = t.numExperts();
    for (int layer : t.moeLayerIndices()) {
      out.put(VariableNames.routerKernel(layer),
          WeightInitializer.normal(new long[] {t.hiddenSize(), experts}, random.split()));
      switch (t.mlpType()) {
        case SWIGLU -> {
          out.put(VariableNames.expertsGate(layer), stack(denseWeight(dense, VariableNames.denseGate(layer)), experts));
          out.put(VariableNames.expertsUp(layer), stack(denseWeight(dense, VariableNames.denseUp(layer)), experts));
          out.put(VariableNames.expertsDown(layer), stack(denseWeight(dense, VariableNames.denseDown(layer)), experts));
        }
        case FC -> {
          out.put(VariableNames.expertsFc1(layer),
              stack(denseWeight(dense, VariableNames.denseFc1(layer) + "/kernel"), experts));
          out.put(VariableNames.expertsFc2(layer),
              stack(denseWeight(dense, VariableNames.denseFc2(layer) + "/kernel"), experts));
          if (t.mlpBias()) {
            out.put(VariableNames.expertsFc1Bias(layer),
                stack(denseWeight(dense, VariableNames.denseFc1(layer) + "/bias"), experts));
            out.put(VariableNames.expertsFc2Bias(layer),
                stack(denseWeight(dense, VariableNames.denseFc2(layer) + "/bias"), experts));
          }
        }
      }
    }
    Map<String, TensorValue> ordered = new LinkedHashMap<>();
    for (VariableSpec spec : ModelVariableSpecs.all(moeConfig)) {
      TensorValue v = out.get(spec.name());
      if (v == null) throw new InvalidInputException("dense weights: missing variable '" + spec.name() + "'");
      ordered.put(spec.name(), v);
    }
    return ordered;
  }

  private static TensorValue denseWeight(Map<String, TensorValue> dense, String name) {
    TensorValue v = dense.get(name);
    if (v == null) {
      throw new InvalidInputException("dense weights: missing FFN variable '" + name
          + "' (upcycling needs the stage-II dense model)");
    }
    return v;
  }

  /** {@code copies} copies of {@code w} (a kernel {@code [a, b]} or a bias {@code [a]}) stacked to {@code [copies, ...]}. */
  private static TensorValue stack(TensorValue w, int copies) {
    float[] data = new float[w.data().length * copies];
    for (int e = 0; e < copies; e++) System.arraycopy(w.data(), 0, data, e * w.data().length, w.data().length);
    long[] shape = new long[w.shape().length + 1];
    shape[0] = copies;
    System.arraycopy(w.shape(), 0, shape, 1, w.shape().length);
    return new TensorValue(shape, data);
  }
}
