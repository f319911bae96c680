package org.moellava.graph;

import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableSpec;
import org.moellava.graph.variables.WeightInitializer;

import org.moellava.tensor.TensorValue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.moellava.config.ModelConfig;

/** Random weights and inputs for model-level tests. */
final class TestData {
  private TestData() {}

  /** Seeded weights with the Normal(0.02) entries scaled by {@code scale}, so the tiny model's signals are large. */
  static Map<String, TensorValue> weights(ModelConfig config, long seed, float scale) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    for (Map.Entry<String, TensorValue> e : WeightInitializer.randomWeights(config, seed).entrySet()) {
      float[] d = e.getValue().data().clone();
      boolean normal = ModelVariableSpecs.all(config).stream()
          .anyMatch(s -> s.name().equals(e.getKey()) && s.init() == VariableSpec.Init.NORMAL);
      if (normal) for (int i = 0; i < d.length; i++) d[i] *= scale;
      out.put(e.getKey(), new TensorValue(e.getValue().shape(), d));
    }
    return out;
  }

  /**
   * {@link #weights} with the biases and norm offsets (zero at init) drawn from N(0, 0.1) and the norm gains from
   * 1 + N(0, 0.1), so that every bias and every LayerNorm parameter of a decoder family is exercised.
   */
  static Map<String, TensorValue> perturbedWeights(ModelConfig config, long seed, float scale) {
    Map<String, TensorValue> out = weights(config, seed, scale);
    Random random = new Random(seed * 31 + 7);
    for (VariableSpec spec : ModelVariableSpecs.all(config)) {
      if (spec.init() == VariableSpec.Init.NORMAL) continue;
      float[] d = out.get(spec.name()).data().clone();
      for (int i = 0; i < d.length; i++) d[i] += (float) (random.nextGaussian() * 0.1);
      out.put(spec.name(), new TensorValue(spec.shape(), d));
    }
    return out;
  }

  static TensorValue pixels(ModelConfig config, int batch, Random random) {
    int size = config.visionConfig().imageSize();
    float[] d = new float[batch * 3 * size * size];
    for (int i = 0; i < d.length; i++) d[i] = (float) random.nextGaussian();
    return new TensorValue(new long[] {batch, 3, size, size}, d);
  }

  /** Ids in [3, V) (never the image token) with the P image tokens at positions [imageStart, imageStart+P). */
  static int[] ids(ModelConfig config, int batch, int seq, int imageStart, Random random) {
    int p = config.visionConfig().numPatches();
    int[] ids = new int[batch * seq];
    for (int b = 0; b < batch; b++) {
      for (int s = 0; s < seq; s++) {
        int id = 3 + random.nextInt(config.textConfig().vocabSize() - 3);
        if (imageStart >= 0 && s >= imageStart && s < imageStart + p) id = config.imageTokenIndex();
        ids[b * seq + s] = id;
      }
    }
    return ids;
  }
}
