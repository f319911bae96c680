package org.moellava.graph.variables;

import org.moellava.tensor.TensorValue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.config.ModelConfig;

/** Seeded random weights for a fresh model: Normal(0, 0.02) for matrices and embeddings, norms 1, biases 0. */
public final class WeightInitializer {
  /** Standard deviation of the normal initialisation. */
  public static final double STD = 0.02;

  private WeightInitializer() {}

  /** Weights for every variable of {@code config}, reproducible from {@code seed}. */
  public static Map<String, TensorValue> randomWeights(ModelConfig config, long seed) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    SplittableRandom root = new SplittableRandom(seed);
    for (VariableSpec spec : ModelVariableSpecs.all(config)) {
      SplittableRandom random = root.split(); // one stream per variable, in spec order
      out.put(spec.name(), initial(spec, random));
    }
    return out;
  }

  /** The initial value of one variable. */
  public static TensorValue initial(VariableSpec spec, SplittableRandom random) {
    long[] shape = spec.shape();
    return switch (spec.init()) {
      case ONES -> TensorValue.filled(1f, shape);
      case ZEROS -> TensorValue.filled(0f, shape);
      case NORMAL -> normal(shape, random);
    };
  }

  /** Normal(0, {@link #STD}) values of {@code shape}. */
  public static TensorValue normal(long[] shape, SplittableRandom random) {
    float[] data = new float[Math.toIntExact(TensorValue.elementCount(shape))];
    for (int i = 0; i < data.length; i++) data[i] = (float) (gaussian(random) * STD);
    return new TensorValue(shape, data);
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller; SplittableRandom has no nextGaussian before Java 17's RandomGenerator default
    double u1 = random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
