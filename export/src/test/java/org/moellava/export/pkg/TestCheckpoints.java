package org.moellava.export.pkg;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.text.WordLevelTokenizerJson;

/** Checkpoints with seeded random weights for export tests. */
final class TestCheckpoints {
  private TestCheckpoints() {}

  /** Writes {@code config} with random weights of {@code seed} to {@code dir}; returns the weights. */
  static Map<String, TensorValue> write(Path dir, ModelConfig config, long seed) {
    return write(dir, config, seed, WeightInitializer.randomWeights(config, seed));
  }

  /**
   * Writes {@code config} with random weights of {@code seed} whose biases and norm offsets are drawn from N(0, 0.1)
   * and norm gains from 1 + N(0, 0.1) (all exercised), matrices scaled by 5; returns the weights.
   */
  static Map<String, TensorValue> writePerturbed(Path dir, ModelConfig config, long seed) {
    Map<String, TensorValue> weights = new java.util.LinkedHashMap<>(WeightInitializer.randomWeights(config, seed));
    java.util.Random random = new java.util.Random(seed);
    for (org.moellava.graph.variables.VariableSpec spec : org.moellava.graph.variables.ModelVariableSpecs.all(config)) {
      float[] d = weights.get(spec.name()).data().clone();
      boolean normal = spec.init() == org.moellava.graph.variables.VariableSpec.Init.NORMAL;
      for (int i = 0; i < d.length; i++) d[i] = normal ? d[i] * 5 : d[i] + (float) (random.nextGaussian() * 0.1);
      weights.put(spec.name(), new TensorValue(spec.shape(), d));
    }
    return write(dir, config, seed, weights);
  }

  private static Map<String, TensorValue> write(Path dir, ModelConfig config, long seed,
      Map<String, TensorValue> weights) {
    byte[] tokenizer = WordLevelTokenizerJson.build(List.of("<pad>", "<eos>", "<image>"), "<pad>",
        List.of("a", "b", "c"), 16).getBytes(StandardCharsets.UTF_8);
    new CheckpointWriter().write(dir, config, tokenizer, weights, TrainingState.imported(seed));
    return weights;
  }
}
