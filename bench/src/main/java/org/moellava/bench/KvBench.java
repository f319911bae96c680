package org.moellava.bench;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.Tensors;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;

/**
 * {@code bench kv}: latency of one decode step (one new token, batch 1) with a KV cache holding 16, 256 and
 * 1024 positions, side by side, through the serving backends: TensorFlow Java on the checkpoint's weights and
 * ONNX Runtime over the exported standard package, both fed the same direct buffers.
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
    Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, 1);
    try (BenchPackages packages = new BenchPackages("moellava-bench-kv", config, weights, 1)) {
      Path pkg = packages.export("package", ExportOptions.defaults());
      try (TfBackend tf = new TfBackend(config, weights, "bench-kv");
           OrtBackend ort = OrtBackend.open(pkg, OrtOptions.cpu())) {
        SplittableRandom random = new SplittableRandom(5);
        TensorValue embeds = WeightInitializer.normal(new long[] {1, 1, t.hiddenSize()}, random); // [1, 1, D]
        List<Runnable> variants = new ArrayList<>();
        for (int context : CONTEXTS) {
          List<TensorValue> keys = new ArrayList<>();
          List<TensorValue> values = new ArrayList<>();
          long[] shape = {1, t.numKeyValueHeads(), context, t.headDim()}; // [B, Hkv, past, hd]
          for (int layer = 0; layer < t.numHiddenLayers(); layer++) {
            keys.add(WeightInitializer.normal(shape, random));
            values.add(WeightInitializer.normal(shape, random));
          }
          DecoderInput in = decoderInput(embeds, keys, values, context);
          variants.add(() -> tf.decode(in));
          variants.add(() -> ort.decode(in));
        }
        double[] ms = SideBySide.medianMillis(3, rounds, variants);
        List<BenchResult.Figure> figures = new ArrayList<>();
        String[] backends = {"tensorflow", "onnxruntime"};
        for (int i = 0; i < CONTEXTS.length; i++) {
          for (int b = 0; b < backends.length; b++) {
            figures.add(new BenchResult.Figure(backends[b] + " decode step, context " + CONTEXTS[i],
                ms[i * backends.length + b], "ms"));
          }
        }
        List<BenchResult.Ratio> ratios = new ArrayList<>();
        for (int b = 0; b < backends.length; b++) {
          ratios.add(new BenchResult.Ratio(backends[b] + " decode step context " + longest + " / context "
              + CONTEXTS[0], ms[(CONTEXTS.length - 1) * backends.length + b] / ms[b], 1.5, true));
        }
        return new BenchResult("kv", BenchResult.thisMachine(), figures, ratios);
      }
    }
  }

  /** One decode step over {@code context} cached positions: direct native-order buffers, as the engine passes. */
  private static DecoderInput decoderInput(TensorValue embeds, List<TensorValue> keys, List<TensorValue> values,
      int context) {
    long[] mask = new long[context + 1];
    Arrays.fill(mask, 1);
    List<FloatBuffer> pastKeys = new ArrayList<>();
    List<FloatBuffer> pastValues = new ArrayList<>();
    for (int layer = 0; layer < keys.size(); layer++) {
      pastKeys.add(Tensors.floatsOf(keys.get(layer).data()));
      pastValues.add(Tensors.floatsOf(values.get(layer).data()));
    }
    LongBuffer positions = Tensors.longsOf(new long[] {context});
    return new DecoderInput(1, 1, context, Tensors.floatsOf(embeds.data()), Tensors.longsOf(mask), positions,
        pastKeys, pastValues);
  }
}
