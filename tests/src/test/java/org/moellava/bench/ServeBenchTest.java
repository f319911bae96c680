package org.moellava.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.graph.WeightInitializer;
import org.moellava.serve.backend.tf.TfBackend;

/** Continuous batching pays: on tiny (TF backend), aggregate tokens/s at concurrency 8 is at least 3x concurrency 1. */
@Tag("heavy")
class ServeBenchTest {
  @Test
  void batchingRaisesAggregateThroughput() {
    ModelConfig config = Presets.get(Presets.TINY);
    try (TfBackend backend = new TfBackend(config, WeightInitializer.randomWeights(config, 5), "tiny-random")) {
      BenchResult result = ServeBench.run("tiny tf", backend, 3);
      System.out.print(result.table());
      BenchResult.Ratio ratio = result.ratios().get(0);
      assertTrue(ratio.met(), result.table());
    }
  }
}
