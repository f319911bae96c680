package org.moellava.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.TextConfig;
import org.moellava.graph.layers.FeedForward;
import org.moellava.graph.moe.MoeBlock;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.tf.TfBackend;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * {@code bench moe}: sparse MoE (top-k of E experts, sparse dispatch) against a dense SwiGLU with the same
 * activated parameters (intermediate size k·I) and against all experts dense-masked, for one layer and for the
 * whole decoder (prefill of T tokens), measured side by side with TensorFlow Java.
 */
public final class MoeBench {
  private MoeBench() {}

  /** Runs the benchmark on {@code config}'s decoder with {@code tokens} tokens. */
  public static BenchResult run(ModelConfig config, int tokens, int rounds) {
    List<BenchResult.Figure> figures = new ArrayList<>();
    List<BenchResult.Ratio> ratios = new ArrayList<>();
    TextConfig t = config.textConfig();
    String shape = String.format(java.util.Locale.ROOT, "D=%d I=%d E=%d k=%d T=%d", t.hiddenSize(),
        t.moeIntermediateSize(), t.numExperts(), t.numExpertsPerTok(), tokens);

    double[] layer = layerMillis(t, tokens, rounds);
    figures.add(new BenchResult.Figure("layer: sparse MoE (" + shape + ")", layer[0], "ms"));
    figures.add(new BenchResult.Figure("layer: dense, same activated params (I=" + t.numExpertsPerTok()
        * t.moeIntermediateSize() + ")", layer[1], "ms"));
    figures.add(new BenchResult.Figure("layer: all experts dense-masked", layer[2], "ms"));
    ratios.add(new BenchResult.Ratio("layer: sparse / dense same-activated", layer[0] / layer[1], 1.2, true));
    ratios.add(new BenchResult.Ratio("layer: sparse / all-experts", layer[0] / layer[2], 0.65, true));

    double[] decoder = decoderMillis(config, tokens, Math.max(3, rounds / 3));
    figures.add(new BenchResult.Figure("decoder prefill: MoE on every layer, sparse", decoder[0], "ms"));
    figures.add(new BenchResult.Figure("decoder prefill: dense, same activated params", decoder[1], "ms"));
    figures.add(new BenchResult.Figure("decoder prefill: MoE on every layer, all experts dense-masked", decoder[2], "ms"));
    ratios.add(new BenchResult.Ratio("decoder: sparse / dense same-activated", decoder[0] / decoder[1], 1.2, true));
    ratios.add(new BenchResult.Ratio("decoder: sparse / all-experts", decoder[0] / decoder[2], 0.65, true));
    return new BenchResult("moe", BenchResult.thisMachine(), figures, ratios);
  }

  /** [sparse, dense same-activated, dense-masked] medians for one layer on {@code [1, T, D]}. */
  private static double[] layerMillis(TextConfig t, int tokens, int rounds) {
    SplittableRandom random = new SplittableRandom(7);
    int d = t.hiddenSize();
    int e = t.numExperts();
    int k = t.numExpertsPerTok();
    int inter = t.moeIntermediateSize();
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(1, -1, d)));
      Operand<TFloat32> router = constant(tf, random, d, e);
      Operand<TFloat32> gate = constant(tf, random, e, d, inter);
      Operand<TFloat32> up = constant(tf, random, e, d, inter);
      Operand<TFloat32> down = constant(tf, random, e, inter, d);
      Operand<TFloat32> sparse = MoeBlock.apply(tf, x, router, gate, up, down, e, k, true, MoeOptions.inference())
          .output();
      Operand<TFloat32> masked = MoeBlock.apply(tf, x, router, gate, up, down, e, k, true,
          MoeOptions.inference().withDispatch(MoeOptions.Dispatch.DENSE_MASKED)).output();
      Operand<TFloat32> dense = FeedForward.swiGlu(tf, x, constant(tf, random, d, k * inter),
          constant(tf, random, d, k * inter), constant(tf, random, k * inter, d));
      float[] input = WeightInitializer.normal(new long[] {1, tokens, d}, random).data();
      try (TFloat32 xt = Tensors.floats(new TensorValue(new long[] {1, tokens, d}, input))) {
        List<Runnable> variants = new ArrayList<>();
        for (Operand<TFloat32> out : List.of(sparse, dense, masked)) {
          variants.add(() -> {
            try (Result r = s.runner().feed(x, xt).fetch(out).run()) {
              r.size();
            }
          });
        }
        return SideBySide.medianMillis(3, rounds, variants);
      }
    }
  }

  /** [sparse, dense same-activated, dense-masked] medians of a full decoder prefill. */
  private static double[] decoderMillis(ModelConfig config, int tokens, int rounds) {
    TextConfig t = config.textConfig();
    ModelConfig moe = config.withTextConfig(t.withMoeLayers(MoeLayers.of(MoeLayers.Mode.ALL)));
    TextConfig denseText = new TextConfig(t.vocabSize(), t.hiddenSize(), t.numExpertsPerTok() * t.moeIntermediateSize(),
        t.moeIntermediateSize(), t.numHiddenLayers(), t.numAttentionHeads(), t.numKeyValueHeads(),
        t.maxPositionEmbeddings(), t.ropeTheta(), t.rmsNormEps(), t.hiddenAct(), t.tieWordEmbeddings(), t.numExperts(),
        t.numExpertsPerTok(), t.normTopkProb(), MoeLayers.of(MoeLayers.Mode.NONE), t.capacityFactor(),
        t.evalCapacityFactor(), t.routerAuxLossCoef(), t.routerGumbelNoise(), t.padTokenId(), t.eosTokenId());
    ModelConfig dense = config.withTextConfig(denseText);
    Map<String, TensorValue> moeWeights = WeightInitializer.randomWeights(moe, 1);
    Map<String, TensorValue> denseWeights = WeightInitializer.randomWeights(dense, 1);
    TensorValue embeds = WeightInitializer.normal(new long[] {1, tokens, t.hiddenSize()}, new SplittableRandom(3));
    long[] mask = new long[tokens];
    long[] positions = new long[tokens];
    for (int i = 0; i < tokens; i++) {
      mask[i] = 1;
      positions[i] = i;
    }
    List<java.nio.FloatBuffer> noPast = new ArrayList<>();
    for (int i = 0; i < t.numHiddenLayers(); i++) noPast.add(org.moellava.runtime.Tensors.floats(0));
    DecoderInput prefill = new DecoderInput(1, tokens, 0, org.moellava.runtime.Tensors.floatsOf(embeds.data()),
        org.moellava.runtime.Tensors.longsOf(mask), org.moellava.runtime.Tensors.longsOf(positions), noPast, noPast);
    try (TfBackend sparse = new TfBackend(moe, moeWeights, "bench-moe-sparse");
         TfBackend denseRunner = new TfBackend(dense, denseWeights, "bench-moe-dense");
         TfBackend masked = new TfBackend(moe, moeWeights, "bench-moe-masked", MoeOptions.Dispatch.DENSE_MASKED)) {
      List<Runnable> variants = new ArrayList<>();
      for (TfBackend r : List.of(sparse, denseRunner, masked)) variants.add(() -> r.decode(prefill));
      return SideBySide.medianMillis(1, rounds, variants);
    }
  }

  private static Operand<TFloat32> constant(Ops tf, SplittableRandom random, long... shape) {
    TensorValue v = WeightInitializer.normal(shape, random);
    return tf.constant(Shape.of(shape), DataBuffers.of(v.data(), true, false));
  }
}
