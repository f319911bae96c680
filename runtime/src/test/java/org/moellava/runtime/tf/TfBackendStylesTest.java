package org.moellava.runtime.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.moellava.config.DecoderStyle;
import org.moellava.config.ModelConfig;
import org.moellava.graph.TrainingGraph;
import org.moellava.graph.variables.Upcycler;
import org.moellava.graph.variables.WeightLoader;
import org.moellava.pkg.GraphNames;
import org.moellava.runtime.Tensors;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * Every decoder family on the TensorFlow backend: the KV cache (token by token = one full pass), upcycling (the
 * upcycled MoE model gives the dense model's logits) and the training graph (= the inference graphs at eval
 * capacity), with every bias and norm parameter non-zero.
 */
class TfBackendStylesTest {

  @ParameterizedTest
  @EnumSource(DecoderStyle.class)
  void decodingTokenByTokenEqualsOneFullPassWithLeftPadding(DecoderStyle style) {
    ModelConfig config = TfTestModels.micro(style);
    Random random = new Random(5);
    int b = 2, s = 8;
    int[] ids = TfTestModels.ids(config, b, s, -1, random);
    int[] mask = new int[b * s];
    Arrays.fill(mask, 1);
    mask[s] = 0; // row 1: two left-padding tokens
    mask[s + 1] = 0;
    int[] pos = TfTestModels.positions(mask, b, s);
    int p = config.visionConfig().numPatches();
    int v = config.textConfig().vocabSize();
    int e = config.textConfig().numExperts();
    try (TfBackend backend = new TfBackend(config, TfTestModels.perturbedWeights(config, 3, 10f), style.id())) {
      TensorValue noImage = TensorValue.filled(0f, b, p, config.textConfig().hiddenSize());
      TensorValue embeds = Tensors.embed(backend, IntTensorValue.matrix(b, s, ids), noImage);
      Tensors.Decoded full = Tensors.decode(backend, embeds, IntTensorValue.matrix(b, s, mask),
          IntTensorValue.matrix(b, s, pos), Tensors.KvCache.empty(backend.info(), b));
      int prefill = 3;
      Tensors.Decoded step = Tensors.decode(backend, TfTestModels.sliceSeq(embeds, 0, prefill),
          TfTestModels.sliceSeq(mask, b, s, 0, prefill), TfTestModels.sliceSeq(pos, b, s, 0, prefill),
          Tensors.KvCache.empty(backend.info(), b));
      TfTestModels.compareRealPositions(full.logits(), step.logits(), mask, b, s, 0, prefill, v);
      for (int t = prefill; t < s; t++) {
        step = Tensors.decode(backend, TfTestModels.sliceSeq(embeds, t, t + 1),
            TfTestModels.sliceSeq(mask, b, s, 0, t + 1), TfTestModels.sliceSeq(pos, b, s, t, t + 1), step.present());
        assertEquals(t + 1, step.present().length());
        TfTestModels.compareRealPositions(full.logits(), step.logits(), mask, b, s, t, t + 1, v);
        for (int layer : config.textConfig().moeLayerIndices()) {
          TensorValue fullRouter = full.routerLogits().get(layer); // [B*S, E]
          TensorValue stepRouter = step.routerLogits().get(layer); // [B, E]
          for (int row = 0; row < b; row++) {
            for (int j = 0; j < e; j++) {
              float expected = fullRouter.data()[(row * s + t) * e + j];
              assertEquals(expected, stepRouter.data()[row * e + j], 1e-5 * Math.max(1, Math.abs(expected)),
                  style + " router logits layer " + layer);
            }
          }
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(DecoderStyle.class)
  void upcycledModelGivesTheDenseModelsLogits(DecoderStyle style) {
    ModelConfig config = TfTestModels.micro(style);
    ModelConfig dense = TfTestModels.dense(config);
    Map<String, TensorValue> denseWeights = TfTestModels.perturbedWeights(dense, 9, 10f);
    Map<String, TensorValue> moeWeights = Upcycler.upcycle(config, denseWeights, 17);
    Random random = new Random(8);
    int b = 2, s = 9;
    int[] ids = TfTestModels.ids(config, b, s, 1, random);
    int[] mask = new int[b * s];
    Arrays.fill(mask, 1);
    int[] pos = TfTestModels.positions(mask, b, s);
    TensorValue pixels = TfTestModels.pixels(config, b, random);
    TensorValue denseLogits;
    TensorValue moeLogits;
    try (TfBackend d = new TfBackend(dense, denseWeights, "dense")) {
      denseLogits = TfTestModels.forward(d, pixels, ids, mask, pos, b, s).logits();
    }
    try (TfBackend m = new TfBackend(config, moeWeights, "upcycled")) {
      moeLogits = TfTestModels.forward(m, pixels, ids, mask, pos, b, s).logits();
    }
    assertClose(style + " upcycled vs dense logits", denseLogits.data(), moeLogits.data(), 1e-5);
  }

  @ParameterizedTest
  @EnumSource(DecoderStyle.class)
  void trainingGraphEqualsInferenceGraphsAtEvalCapacity(DecoderStyle style) {
    ModelConfig config = TfTestModels.micro(style);
    Map<String, TensorValue> weights = TfTestModels.perturbedWeights(config, 21, 10f);
    Random random = new Random(21);
    int b = 2, s = 10, v = config.textConfig().vocabSize();
    int[] ids = TfTestModels.ids(config, b, s, 1, random);
    int[] mask = new int[b * s];
    Arrays.fill(mask, 1);
    mask[s + 8] = 0; // row 1: right padding
    mask[s + 9] = 0;
    int[] labels = new int[b * s];
    for (int i = 0; i < labels.length; i++) labels[i] = i % s < 5 || mask[i] == 0 ? -100 : ids[i];
    int[] arange = new int[b * s];
    for (int i = 0; i < arange.length; i++) arange[i] = i % s;
    TensorValue pixels = TfTestModels.pixels(config, b, random);
    TensorValue expected;
    try (TfBackend backend = new TfBackend(config, weights, style.id())) {
      expected = TfTestModels.forward(backend, pixels, ids, mask, arange, b, s).logits();
    }
    try (TrainingGraph g = TrainingGraph.build(config); Session session = new Session(g.graph());
         TFloat32 px = org.moellava.graph.layers.Tensors.floats(pixels);
         TInt32 idT = org.moellava.graph.layers.Tensors.ints(ids, b, s);
         TInt32 maskT = org.moellava.graph.layers.Tensors.ints(mask, b, s);
         TInt32 labelT = org.moellava.graph.layers.Tensors.ints(labels, b, s);
         TFloat64 cf = TFloat64.scalarOf(config.textConfig().evalCapacityFactor())) {
      WeightLoader.load(session, g.variables(), weights);
      Session.Runner run = session.runner().feed(g.pixelValues(), px).feed(g.inputIds(), idT)
          .feed(g.attentionMask(), maskT).feed(g.labels(), labelT).feed(GraphNames.CAPACITY_FACTOR, cf)
          .fetch(g.logits()).fetch(g.loss());
      try (Result r = run.run()) {
        TensorValue logits = org.moellava.graph.layers.Tensors.toValue(r.get(0));
        int compared = 0;
        for (int row = 0; row < b; row++) {
          for (int t = 0; t < s; t++) {
            if (mask[row * s + t] == 0) continue;
            for (int j = 0; j < v; j++) {
              int i = (row * s + t) * v + j;
              assertEquals(expected.data()[i], logits.data()[i], 1e-5 * Math.max(1, Math.abs(expected.data()[i])),
                  style + " logits");
              compared++;
            }
          }
        }
        assertEquals(18 * v, compared);
        float loss = ((TFloat32) r.get(1)).getFloat();
        assertTrue(Float.isFinite(loss) && loss > 0, style + " loss " + loss);
      }
    }
  }

  private static void assertClose(String what, float[] expected, float[] actual, double rtol) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = 0;
    for (float e : expected) scale = Math.max(scale, Math.abs(e));
    for (int i = 0; i < expected.length; i++) {
      double tol = rtol * Math.abs(expected[i]) + 0.1 * rtol * scale + 1e-12;
      assertTrue(Math.abs(actual[i] - expected[i]) <= tol, what + ": index " + i + " expected " + expected[i]
          + " got " + actual[i]);
    }
  }
}
