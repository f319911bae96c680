package org.moellava.graph;

import org.moellava.graph.layers.Tensors;
import org.moellava.graph.moe.MoeBlock;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.graph.variables.VariableGroup;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.graph.variables.WeightLoader;

import org.moellava.tensor.TensorValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Timing figures (run with {@code -Dtest=GraphBenchmark -Dsurefire.excludedGroups=}): forward+backward time per token
 * of the training graph (tiny, small), and sparse-dispatch vs dense-masked MoE block time on small at T=512.
 */
@Tag("heavy")
class GraphBenchmark {

  @Test
  void sparseVersusDenseMaskedMoeOnSmall() {
    TextConfig t = Presets.get(Presets.SMALL).textConfig();
    int tokens = 512;
    double sparse = moeBlockMillis(t, tokens, MoeOptions.Dispatch.SPARSE);
    double dense = moeBlockMillis(t, tokens, MoeOptions.Dispatch.DENSE_MASKED);
    System.out.printf("BENCH moe block small (D=%d I=%d E=%d k=%d) T=%d: sparse %.2f ms, dense-masked %.2f ms, "
        + "ratio %.3f%n", t.hiddenSize(), t.moeIntermediateSize(), t.numExperts(), t.numExpertsPerTok(), tokens,
        sparse, dense, sparse / dense);
  }

  private static double moeBlockMillis(TextConfig t, int tokens, MoeOptions.Dispatch dispatch) {
    Random random = new Random(1);
    int d = t.hiddenSize();
    int e = t.numExperts();
    int inter = t.moeIntermediateSize();
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(1, -1, d)));
      Operand<TFloat32> out = MoeBlock.apply(tf, x, TfTest.constant(tf, TfTest.gaussian(random, d * e, 0.02), d, e),
          TfTest.constant(tf, TfTest.gaussian(random, e * d * inter, 0.02), e, d, inter),
          TfTest.constant(tf, TfTest.gaussian(random, e * d * inter, 0.02), e, d, inter),
          TfTest.constant(tf, TfTest.gaussian(random, e * inter * d, 0.02), e, inter, d), e, t.numExpertsPerTok(),
          true, MoeOptions.inference().withDispatch(dispatch)).output();
      float[] input = TfTest.toFloat(TfTest.gaussian(random, tokens * d, 1));
      try (TFloat32 xt = Tensors.floats(new TensorValue(new long[] {1, tokens, d}, input))) {
        return medianMillis(10, 20, () -> {
          try (Result r = s.runner().feed(x, xt).fetch(out).run()) {
            r.size();
          }
        });
      }
    }
  }

  @Test
  void trainingForwardBackwardPerToken() {
    for (String preset : List.of(Presets.TINY, Presets.SMALL)) {
      ModelConfig config = Presets.get(preset);
      int p = config.visionConfig().numPatches();
      int batch = preset.equals(Presets.TINY) ? 4 : 2;
      int seq = p + 64;
      Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, 1);
      Random random = new Random(3);
      int[] ids = TestData.ids(config, batch, seq, 1, random);
      int[] mask = new int[batch * seq];
      Arrays.fill(mask, 1);
      int[] labels = ids.clone();
      for (int i = 0; i < labels.length; i++) if (i % seq <= p) labels[i] = -100;
      try (TrainingGraph g = TrainingGraph.build(config); Session s = new Session(g.graph());
           TFloat32 px = Tensors.floats(TestData.pixels(config, batch, random));
           TInt32 idT = Tensors.ints(ids, batch, seq); TInt32 maskT = Tensors.ints(mask, batch, seq);
           TInt32 labelT = Tensors.ints(labels, batch, seq)) {
        Output<?>[] grads = g.addGradients(g.trainableVariables(EnumSet.allOf(VariableGroup.class)));
        WeightLoader.load(s, g.variables(), weights);
        double ms = medianMillis(2, 5, () -> {
          Session.Runner run = s.runner().feed(g.pixelValues(), px).feed(g.inputIds(), idT)
              .feed(g.attentionMask(), maskT).feed(g.labels(), labelT).fetch(g.loss());
          for (Output<?> grad : grads) run.fetch(grad);
          try (Result r = run.run()) {
            r.size();
          }
        });
        int tokensPerStep = batch * seq;
        System.out.printf("BENCH training forward+backward %s: B=%d S=%d (P=%d): %.1f ms/step, %.3f ms/token%n",
            preset, batch, seq, p, ms, ms / tokensPerStep);
      }
    }
  }

  private static double medianMillis(int warmup, int runs, Runnable step) {
    for (int i = 0; i < warmup; i++) step.run();
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      step.run();
      times.add((System.nanoTime() - t0) / 1e6);
    }
    times.sort(Double::compare);
    return times.get(times.size() / 2);
  }
}
