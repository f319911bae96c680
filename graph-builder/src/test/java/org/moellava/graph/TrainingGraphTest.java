package org.moellava.graph;

import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableGroup;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.WeightLoader;

import org.moellava.pkg.GraphNames;

import org.moellava.tensor.IntTensorValue;

import org.moellava.tensor.TensorValue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Variable groups, per-stage gradients, routing statistics and Gumbel noise of the training graph. */
class TrainingGraphTest {
  private final ModelConfig config = TestConfigs.micro();

  @Test
  void trainableVariablesFollowGroupsAndSkipVisionLayersPastTheFeatureLayer() {
    try (TrainingGraph g = TrainingGraph.build(config)) {
      List<ModelVariables.Entry> all = g.trainableVariables(EnumSet.allOf(VariableGroup.class));
      assertTrue(all.stream().noneMatch(e -> e.spec().name().startsWith(VariableNames.visionLayer(1) + "/")),
          "vision layer 1 is past vision_feature_layer=-2 of a 2-layer tower");
      assertTrue(all.stream().noneMatch(e -> e.spec().name().startsWith(VariableNames.POST_LAYERNORM)));
      assertTrue(g.variables().contains(VariableNames.visionLayer(1) + "/mlp/fc1/kernel"), "still in the checkpoint");
      List<ModelVariables.Entry> stage1 = g.trainableVariables(EnumSet.of(VariableGroup.PROJECTOR));
      assertEquals(4, stage1.size());
      List<ModelVariables.Entry> stage3 = g.trainableVariables(
          EnumSet.of(VariableGroup.FFN, VariableGroup.EXPERTS, VariableGroup.ROUTERS, VariableGroup.PROJECTOR));
      assertEquals(4 + 3 + 2 * 4, stage3.size(), "projector 4, dense FFN of layer 1: 3, MoE layers 0 and 2: 4 each");
      Output<?>[] grads = g.addGradients(all);
      assertEquals(all.size(), grads.length);
    }
  }

  @Test
  void capacityStatisticsAndGumbelNoiseOnlyBehindItsOption() {
    ModelConfig noisy = TestConfigs.withGumbelNoise(config);
    Map<String, TensorValue> weights = TestData.weights(config, 6, 10f);
    Random random = new Random(4);
    int b = 2, s = 12;
    int[] ids = TestData.ids(config, b, s, 2, random);
    int[] mask = new int[b * s];
    Arrays.fill(mask, 1);
    int[] labels = ids.clone();
    TensorValue pixels = TestData.pixels(config, b, random);
    InputChecks.trainingBatch(config, pixels, IntTensorValue.matrix(b, s, ids), IntTensorValue.matrix(b, s, mask),
        IntTensorValue.matrix(b, s, labels));
    float plain = loss(config, weights, pixels, ids, mask, labels, null, true);
    float noNoise = loss(noisy, weights, pixels, ids, mask, labels, 0f, false);
    assertEquals(plain, noNoise, 1e-6f * Math.abs(plain), "noise scale 0 routes like the plain graph");
    boolean differs = false;
    for (int i = 0; i < 5 && !differs; i++) {
      differs = loss(noisy, weights, pixels, ids, mask, labels, 3f, false) != plain;
    }
    assertTrue(differs, "Gumbel noise changes the second choices");
    try (DecoderGraph d = DecoderGraph.build(noisy)) {
      assertTrue(d.graph().operation(GraphNames.ROUTER_NOISE_SCALE) == null, "no noise in inference graphs");
      java.util.Iterator<org.tensorflow.GraphOperation> ops = d.graph().operations();
      while (ops.hasNext()) assertNotEquals("RandomUniform", ops.next().type(), "no random op in the decoder graph");
    }
    int[] badLabels = labels.clone();
    badLabels[3] = 40;
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> InputChecks.trainingBatch(config,
        pixels, IntTensorValue.matrix(b, s, ids), IntTensorValue.matrix(b, s, mask),
        IntTensorValue.matrix(b, s, badLabels)));
    assertTrue(e.getMessage().startsWith("labels:"), e.getMessage());
  }

  /**
   * The vision tower runs on the rows that show an image only: a batch of [image row, text-only row, image row at
   * another offset] gives each row the logits it gets alone (the text-only row alone has no image at all), so row 2
   * splices its own image, not row 1's pixels. Nothing is dropped (capacity factor 1000).
   */
  @Test
  void imageFeaturesGoToTheirOwnRowsWhenSomeRowsHaveNoImage() {
    Map<String, TensorValue> weights = TestData.weights(config, 8, 10f);
    Random random = new Random(9);
    int p = config.visionConfig().numPatches();
    int s = p + 6;
    int b = 3;
    int[][] rows = {row(s, 1, random), row(s, -1, random), row(s, 4, random)};
    TensorValue pixels = TestData.pixels(config, b, random);
    int[] ids = new int[b * s];
    for (int r = 0; r < b; r++) System.arraycopy(rows[r], 0, ids, r * s, s);
    float[] batched = logits(weights, pixels, ids, b, s);
    int v = config.textConfig().vocabSize();
    int perImage = (int) (pixels.numElements() / b);
    for (int r = 0; r < b; r++) {
      TensorValue own = new TensorValue(new long[] {1, pixels.shape()[1], pixels.shape()[2], pixels.shape()[3]},
          Arrays.copyOfRange(pixels.data(), r * perImage, (r + 1) * perImage));
      float[] alone = logits(weights, own, rows[r], 1, s);
      for (int i = 0; i < s * v; i++) {
        assertEquals(alone[i], batched[r * s * v + i], 1e-5 * Math.max(1, Math.abs(alone[i])), "row " + r + " at " + i);
      }
    }
  }

  /** A row of {@code s} random text ids (never the image token) with P image tokens from {@code imageStart} (< 0: none). */
  private int[] row(int s, int imageStart, Random random) {
    int image = config.imageTokenIndex();
    int[] ids = new int[s];
    for (int t = 0; t < s; t++) {
      int id;
      do {
        id = 3 + random.nextInt(config.textConfig().vocabSize() - 3);
      } while (id == image);
      ids[t] = imageStart >= 0 && t >= imageStart && t < imageStart + config.visionConfig().numPatches() ? image : id;
    }
    return ids;
  }

  private float[] logits(Map<String, TensorValue> weights, TensorValue pixels, int[] ids, int b, int s) {
    int[] mask = new int[b * s];
    Arrays.fill(mask, 1);
    try (TrainingGraph g = TrainingGraph.build(config); Session session = new Session(g.graph());
         TFloat32 px = Tensors.floats(pixels); TInt32 idT = Tensors.ints(ids, b, s);
         TInt32 maskT = Tensors.ints(mask, b, s); TInt32 labelT = Tensors.ints(ids, b, s);
         org.tensorflow.types.TFloat64 cf = org.tensorflow.types.TFloat64.scalarOf(1000.0)) {
      WeightLoader.load(session, g.variables(), weights);
      try (Result r = session.runner().feed(g.pixelValues(), px).feed(g.inputIds(), idT)
          .feed(g.attentionMask(), maskT).feed(g.labels(), labelT).feed(GraphNames.CAPACITY_FACTOR, cf)
          .fetch(g.logits()).run()) {
        return Tensors.toValue(r.get(0)).data();
      }
    }
  }

  /** The loss; with {@code checkCounts}, also checks that expert counts plus drops equal k per real token. */
  private static float loss(ModelConfig config, Map<String, TensorValue> weights, TensorValue pixels, int[] ids,
      int[] mask, int[] labels, Float noiseScale, boolean checkCounts) {
    int b = (int) pixels.shape()[0];
    int s = ids.length / b;
    try (TrainingGraph g = TrainingGraph.build(config); Session session = new Session(g.graph());
         TFloat32 px = Tensors.floats(pixels); TInt32 idT = Tensors.ints(ids, b, s);
         TInt32 maskT = Tensors.ints(mask, b, s); TInt32 labelT = Tensors.ints(labels, b, s)) {
      WeightLoader.load(session, g.variables(), weights);
      Session.Runner run = session.runner().feed(g.pixelValues(), px).feed(g.inputIds(), idT)
          .feed(g.attentionMask(), maskT).feed(g.labels(), labelT).fetch(g.loss());
      TFloat32 scale = noiseScale == null ? null : TFloat32.scalarOf(noiseScale);
      if (scale != null) run.feed(GraphNames.ROUTER_NOISE_SCALE, scale);
      g.expertCounts().values().forEach(run::fetch);
      g.droppedTokens().values().forEach(run::fetch);
      try (Result r = run.run()) {
        if (checkCounts) {
          int layers = g.expertCounts().size();
          for (int i = 0; i < layers; i++) {
            int[] counts = Tensors.toInts(r.get(1 + i));
            int dropped = ((TInt32) r.get(1 + layers + i)).getInt();
            assertEquals(b * s * config.textConfig().numExpertsPerTok(), Arrays.stream(counts).sum() + dropped);
            int capacity = (int) Math.ceil((double) (b * s) / 4 * 1.5 * 2);
            for (int c : counts) assertTrue(c <= capacity, "count " + c + " over capacity " + capacity);
          }
        }
        return ((TFloat32) r.get(0)).getFloat();
      } finally {
        if (scale != null) scale.close();
      }
    }
  }
}
