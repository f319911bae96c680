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
    Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, seed);
    byte[] tokenizer = WordLevelTokenizerJson.build(List.of("<pad>", "<eos>", "<image>"), "<pad>",
        List.of("a", "b", "c"), 16).getBytes(StandardCharsets.UTF_8);
    new CheckpointWriter().write(dir, config, tokenizer, weights, TrainingState.imported(seed));
    return weights;
  }
}
