package org.moellava.runtime.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.TrainingGraph;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.graph.variables.Upcycler;
import org.moellava.graph.variables.VariableNames;
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
 * The TensorFlow backend on the micro model, through the array calls of {@link Tensors}: KV cache, upcycling,
 * training vs inference form, expert dispatch, input checks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TfBackendTest {
  private final ModelConfig config = TfTestModels.micro();
  private final Map<String, TensorValue> weights = TfTestModels.weights(config, 3, 10f);
  private TfBackend backend;

  @BeforeAll
  void start() {
    backend = new TfBackend(config, weights, "micro");
  }

  @AfterAll
  void stop() {
    backend.close();
  }

  @Test
  void decodingTokenByTokenEqualsOneFullPassWithLeftPadding() {
    Random random = new Random(5);
    int b = 2, s = 8;
    int[] ids = TfTestModels.ids(config, b, s, -1, random);
    int[] mask = new int[b * s];
    java.util.Arrays.fill(mask, 1);
    mask[s] = 0; // row 1: two left-padding tokens
    mask[s + 1] = 0;
    ids[s] = 0;
    ids[s + 1] = 0;
    int[] pos = TfTestModels.positions(mask, b, s);
    int p = config.visionConfig().numPatches();
    TensorValue noImage = TensorValue.filled(0f, b, p, config.textConfig().hiddenSize());
    TensorValue embeds = Tensors.embed(backend, IntTensorValue.matrix(b, s, ids), noImage);

    Tensors.Decoded full = Tensors.decode(backend, embeds, IntTensorValue.matrix(b, s, mask),
        IntTensorValue.matrix(b, s, pos), Tensors.KvCache.empty(backend.info(), b));

    int prefill = 3;
    Tensors.Decoded step = Tensors.decode(backend, TfTestModels.sliceSeq(embeds, 0, prefill),
        TfTestModels.sliceSeq(mask, b, s, 0, prefill), TfTestModels.sliceSeq(pos, b, s, 0, prefill),
        Tensors.KvCache.empty(backend.info(), b));
    int v = config.textConfig().vocabSize();
    TfTestModels.compareRealPositions(full.logits(), step.logits(), mask, b, s, 0, prefill, v);
    for (int t = prefill; t < s; t++) {
      step = Tensors.decode(backend, TfTestModels.sliceSeq(embeds, t, t + 1), TfTestModels.sliceSeq(mask, b, s, 0, t + 1),
          TfTestModels.sliceSeq(pos, b, s, t, t + 1), step.present());
      assertEquals(t + 1, step.present().length());
      TfTestModels.compareRealPositions(full.logits(), step.logits(), mask, b, s, t, t + 1, v);
      assertEquals(config.textConfig().moeLayerIndices(), java.util.List.copyOf(step.routerLogits().keySet()));
      for (int layer : config.textConfig().moeLayerIndices()) {
        TensorValue fullRouter = full.routerLogits().get(layer); // [B*S, E]
        TensorValue stepRouter = step.routerLogits().get(layer); // [B, E]
        int e = config.textConfig().numExperts();
        for (int row = 0; row < b; row++) {
          for (int j = 0; j < e; j++) {
            assertEquals(fullRouter.data()[(row * s + t) * e + j], stepRouter.data()[row * e + j], 1e-5,
                "router logits layer " + layer);
          }
        }
      }
    }
  }

  @Test
  void upcycledModelGivesTheDenseModelsLogits() {
    ModelConfig dense = TfTestModels.dense(config);
    Map<String, TensorValue> denseWeights = TfTestModels.weights(dense, 9, 10f);
    Map<String, TensorValue> moeWeights = Upcycler.upcycle(config, denseWeights, 17);
    Random random = new Random(8);
    int b = 2, s = 9;
    int[] ids = TfTestModels.ids(config, b, s, 1, random);
    int[] mask = new int[b * s];
    java.util.Arrays.fill(mask, 1);
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
    assertClose("upcycled vs dense logits", denseLogits.data(), moeLogits.data(), 1e-5);
  }

  @Test
  void denseMaskedDispatchGivesTheSparseDispatchsOutputs() {
    Random random = new Random(12);
    int b = 2, s = 9;
    int[] ids = TfTestModels.ids(config, b, s, 1, random);
    int[] mask = new int[b * s];
    java.util.Arrays.fill(mask, 1);
    int[] pos = TfTestModels.positions(mask, b, s);
    TensorValue pixels = TfTestModels.pixels(config, b, random);
    Tensors.Decoded sparse = TfTestModels.forward(backend, pixels, ids, mask, pos, b, s);
    try (TfBackend masked = new TfBackend(config, weights, "masked", MoeOptions.Dispatch.DENSE_MASKED)) {
      Tensors.Decoded out = TfTestModels.forward(masked, pixels, ids, mask, pos, b, s);
      assertClose("dense-masked vs sparse logits", sparse.logits().data(), out.logits().data(), 1e-4);
      for (int layer : config.textConfig().moeLayerIndices()) {
        assertClose("router logits " + layer, sparse.routerLogits().get(layer).data(),
            out.routerLogits().get(layer).data(), 1e-4);
      }
    }
  }

  @Test
  void trainingGraphEqualsInferenceGraphsWhenNothingDropsAndLossIsShiftedCrossEntropyPlusAux() {
    Random random = new Random(21);
    int b = 2, s = 10, v = config.textConfig().vocabSize();
    int[] ids = TfTestModels.ids(config, b, s, 1, random);
    int[] mask = new int[b * s];
    java.util.Arrays.fill(mask, 1);
    mask[s + 8] = 0; // row 1: right padding
    mask[s + 9] = 0;
    int[] labels = new int[b * s];
    for (int i = 0; i < labels.length; i++) labels[i] = i % s < 5 || mask[i] == 0 ? -100 : ids[i];
    int[] arange = new int[b * s];
    for (int i = 0; i < arange.length; i++) arange[i] = i % s;
    TensorValue pixels = TfTestModels.pixels(config, b, random);
    TensorValue expected = TfTestModels.forward(backend, pixels, ids, mask, arange, b, s).logits();

    try (TrainingGraph g = TrainingGraph.build(config); Session session = new Session(g.graph());
         TFloat32 px = org.moellava.graph.layers.Tensors.floats(pixels);
         TInt32 idT = org.moellava.graph.layers.Tensors.ints(ids, b, s);
         TInt32 maskT = org.moellava.graph.layers.Tensors.ints(mask, b, s);
         TInt32 labelT = org.moellava.graph.layers.Tensors.ints(labels, b, s);
         TFloat64 cf = TFloat64.scalarOf(config.textConfig().evalCapacityFactor())) {
      WeightLoader.load(session, g.variables(), weights);
      Session.Runner run = session.runner().feed(g.pixelValues(), px).feed(g.inputIds(), idT)
          .feed(g.attentionMask(), maskT).feed(g.labels(), labelT).feed(GraphNames.CAPACITY_FACTOR, cf)
          .fetch(g.logits()).fetch(g.loss()).fetch(g.ceLoss());
      g.layerAuxLosses().values().forEach(run::fetch);
      g.droppedTokens().values().forEach(run::fetch);
      try (Result r = run.run()) {
        TensorValue logits = org.moellava.graph.layers.Tensors.toValue(r.get(0));
        for (int row = 0; row < b; row++) {
          for (int t = 0; t < s; t++) {
            if (mask[row * s + t] == 0) continue;
            for (int j = 0; j < v; j++) {
              int i = (row * s + t) * v + j;
              assertEquals(expected.data()[i], logits.data()[i], 1e-5 * Math.max(1, Math.abs(expected.data()[i])));
            }
          }
        }
        double ce = shiftedCrossEntropy(logits, labels, b, s, v);
        float loss = ((TFloat32) r.get(1)).getFloat();
        float ceTf = ((TFloat32) r.get(2)).getFloat();
        assertEquals(ce, ceTf, 1e-5 * ce, "cross-entropy");
        int moeLayers = g.layerAuxLosses().size();
        assertEquals(2, moeLayers);
        double auxSum = 0;
        for (int i = 0; i < moeLayers; i++) {
          float aux = ((TFloat32) r.get(3 + i)).getFloat();
          assertTrue(aux >= 0.99 && aux < 4.01, "aux loss E*sum f*P lies in [1, E], got " + aux);
          auxSum += aux;
          assertEquals(0, ((TInt32) r.get(3 + moeLayers + i)).getInt(), "nothing drops at eval capacity");
        }
        assertEquals(ce + 0.01 * auxSum, loss, 1e-5 * loss, "loss = ce + alpha * sum aux");
      }
    }
  }

  /** Mean of -log softmax(logits[t])[labels[t+1]] over labelled t+1. */
  private static double shiftedCrossEntropy(TensorValue logits, int[] labels, int b, int s, int v) {
    double sum = 0;
    int count = 0;
    for (int row = 0; row < b; row++) {
      for (int t = 0; t + 1 < s; t++) {
        int label = labels[row * s + t + 1];
        if (label == -100) continue;
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, logits.data()[(row * s + t) * v + j]);
        double z = 0;
        for (int j = 0; j < v; j++) z += Math.exp(logits.data()[(row * s + t) * v + j] - max);
        sum += -(logits.data()[(row * s + t) * v + label] - max - Math.log(z));
        count++;
      }
    }
    return sum / count;
  }

  @Test
  void badInputsAreRejectedBeforeAnySessionRuns() {
    InvalidInputException image = assertThrows(InvalidInputException.class,
        () -> Tensors.imageFeatures(backend, TensorValue.filled(0f, 1, 3, 16, 16)));
    assertTrue(image.getMessage().contains("pixel_values") && image.getMessage().contains("[1, 3, 16, 16]")
        && image.getMessage().contains("[B, 3, 8, 8]"), image.getMessage());
    int p = config.visionConfig().numPatches();
    TensorValue features = TensorValue.filled(0f, 1, p, config.textConfig().hiddenSize());
    InvalidInputException vocab = assertThrows(InvalidInputException.class,
        () -> Tensors.embed(backend, IntTensorValue.matrix(1, 3, new int[] {4, 40, 5}), features));
    assertTrue(vocab.getMessage().contains("input_ids") && vocab.getMessage().contains("40"), vocab.getMessage());
    int imageId = config.imageTokenIndex();
    InvalidInputException images = assertThrows(InvalidInputException.class,
        () -> Tensors.embed(backend, IntTensorValue.matrix(1, 3, new int[] {4, imageId, 5}), features));
    assertTrue(images.getMessage().contains("1 image tokens") && images.getMessage().contains("P=" + p),
        images.getMessage());
    TensorValue embeds = TensorValue.filled(0f, 1, 3, config.textConfig().hiddenSize());
    InvalidInputException mask = assertThrows(InvalidInputException.class, () -> Tensors.decode(backend, embeds,
        IntTensorValue.matrix(1, 2, new int[] {1, 1}), IntTensorValue.matrix(1, 3, new int[] {0, 1, 2}),
        Tensors.KvCache.empty(backend.info(), 1)));
    assertTrue(mask.getMessage().contains("attention_mask") && mask.getMessage().contains("[1, 3]")
        && mask.getMessage().contains("[1, 2]"), mask.getMessage());
    InvalidInputException maskValues = assertThrows(InvalidInputException.class, () -> Tensors.decode(backend,
        embeds, IntTensorValue.matrix(1, 3, new int[] {1, 2, 1}), IntTensorValue.matrix(1, 3, new int[] {0, 1, 2}),
        Tensors.KvCache.empty(backend.info(), 1)));
    assertTrue(maskValues.getMessage().contains("0 or 1, got 2"), maskValues.getMessage());
    Map<String, TensorValue> missing = new HashMap<>(weights);
    missing.remove(VariableNames.routerKernel(0));
    InvalidInputException w = assertThrows(InvalidInputException.class, () -> new TfBackend(config, missing, "x"));
    assertTrue(w.getMessage().contains(VariableNames.routerKernel(0)), w.getMessage());
  }

  /** |actual - expected| <= rtol*|expected| + 0.1*rtol*max|expected| for every entry. */
  private static void assertClose(String what, float[] expected, float[] actual, double rtol) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = 0;
    for (float e : expected) scale = Math.max(scale, Math.abs(e));
    for (int i = 0; i < expected.length; i++) {
      double tol = rtol * Math.abs(expected[i]) + 0.1 * rtol * scale + 1e-12;
      double err = Math.abs(actual[i] - expected[i]);
      assertTrue(err <= tol, what + ": index " + i + " expected " + expected[i] + " got " + actual[i]
          + " (err " + err + " > tol " + tol + ")");
    }
    assertTrue(expected.length > 0, what + ": nothing compared");
  }
}
