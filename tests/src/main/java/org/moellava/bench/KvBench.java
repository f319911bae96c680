package org.moellava.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.IntTensorValue;
import org.moellava.graph.TensorValue;
import org.moellava.graph.TfModelRunner;
import org.moellava.graph.WeightInitializer;

/**
 * {@code bench kv}: latency of one decode step (one new token, batch 1) with a KV cache holding 16, 256 and
 * 1024 positions, side by side, on the TensorFlow Java decoder.
 */
public final class KvBench {
  /** The cached context lengths compared. */
  public static final int[] CONTEXTS = {16, 256, 1024};

  private KvBench() {}

  public static BenchResult run(ModelConfig config, int rounds) {
    TextConfig t = config.textConfig();
    int longest = CONTEXTS[CONTEXTS.length - 1];
    if (t.maxPositionEmbeddings() <= longest) {
      throw new InvalidInputException("bench kv needs max_position_embeddings > " + longest + ", the config has "
          + t.maxPositionEmbeddings());
    }
    SplittableRandom random = new SplittableRandom(5);
    try (TfModelRunner runner = new TfModelRunner(config, WeightInitializer.randomWeights(config, 1))) {
      List<Runnable> variants = new ArrayList<>();
      TensorValue embeds = WeightInitializer.normal(new long[] {1, 1, t.hiddenSize()}, random);
      for (int context : CONTEXTS) {
        List<TensorValue> keys = new ArrayList<>();
        List<TensorValue> values = new ArrayList<>();
        long[] shape = {1, t.numKeyValueHeads(), context, t.headDim()};
        for (int layer = 0; layer < t.numHiddenLayers(); layer++) {
          keys.add(WeightInitializer.normal(shape, random));
          values.add(WeightInitializer.normal(shape, random));
        }
        TfModelRunner.KvCache past = new TfModelRunner.KvCache(keys, values);
        int[] mask = new int[context + 1];
        Arrays.fill(mask, 1);
        IntTensorValue maskT = IntTensorValue.matrix(1, context + 1, mask);
        IntTensorValue pos = IntTensorValue.matrix(1, 1, new int[] {context});
        variants.add(() -> runner.decode(embeds, maskT, pos, past));
      }
      double[] ms = SideBySide.medianMillis(3, rounds, variants);
      List<BenchResult.Figure> figures = new ArrayList<>();
      for (int i = 0; i < CONTEXTS.length; i++) {
        figures.add(new BenchResult.Figure("tensorflow decode step, context " + CONTEXTS[i], ms[i], "ms"));
      }
      List<BenchResult.Ratio> ratios = List.of(new BenchResult.Ratio(
          "decode step context " + longest + " / context " + CONTEXTS[0], ms[ms.length - 1] / ms[0], 1.5, true));
      return new BenchResult("kv", BenchResult.thisMachine(), figures, ratios);
    }
  }
}
