package org.moellava.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionStyle;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.VariableSpec;
import org.moellava.graph.variables.WeightLoader;
import org.moellava.tensor.TensorValue;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;

/**
 * The vision graph (tower + projector) of every vision style against {@link ReferenceVision} (plain Java, double
 * precision): image features to 1e-5 relative, every bias and LayerNorm parameter non-zero, B = 2.
 */
class VisionStylesTest {

  @ParameterizedTest
  @EnumSource(VisionStyle.class)
  void visionGraphMatchesTheDoublePrecisionReference(VisionStyle style) {
    matchesTheReference(TestConfigs.micro(style), style.toString());
  }

  /** A SigLIP image that is not a multiple of the patch (as so400m-patch14-384's 384 is not of 14). */
  @Test
  void siglipImageNotAMultipleOfThePatchMatchesTheReference() {
    ModelConfig config = TestConfigs.microSiglipRemainder();
    assertEquals(4, config.visionConfig().gridPatches(), "11-pixel images, patch 4: a 2 x 2 grid");
    matchesTheReference(config, "siglip 11/4");
  }

  private static void matchesTheReference(ModelConfig config, String style) {
    Map<String, TensorValue> weights = TestData.perturbedWeights(config, 7, 10f);
    int b = 2;
    TensorValue pixels = TestData.pixels(config, b, new Random(13));
    double[] px = new double[pixels.data().length];
    for (int i = 0; i < px.length; i++) px[i] = pixels.data()[i];
    double[] expected = new ReferenceVision(config, weights).imageFeatures(px, b);

    try (VisionGraph g = VisionGraph.build(config); Session session = new Session(g.graph())) {
      WeightLoader.load(session, g.variables(), weights);
      try (Tensor in = Tensors.floats(pixels);
          Result r = session.runner().feed(g.pixelValues(), in).fetch(g.imageFeatures()).run()) {
        TensorValue got = Tensors.toValue(r.get(0));
        assertArrayEquals(new long[] {b, config.visionConfig().numPatches(), config.textConfig().hiddenSize()},
            got.shape());
        TfTest.assertClose(style + " image features", expected, got.data(), 1e-5);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(VisionStyle.class)
  void variablesAreThoseOfTheStyle(VisionStyle style) {
    ModelConfig config = TestConfigs.micro(style);
    List<String> names = ModelVariableSpecs.vision(config).stream().map(VariableSpec::name).toList();
    boolean siglip = style == VisionStyle.SIGLIP;
    assertEquals(!siglip, names.contains(VariableNames.CLASS_EMBEDDING));
    assertEquals(!siglip, names.contains(VariableNames.PRE_LAYERNORM + "/gamma"));
    assertEquals(siglip, names.contains(VariableNames.PATCH_EMBEDDING_BIAS));
    assertEquals(siglip, names.contains(VariableNames.VISION_HEAD + "/probe"));
    VariableSpec pos = ModelVariableSpecs.vision(config).stream()
        .filter(s -> s.name().equals(VariableNames.POSITION_EMBEDDING)).findFirst().orElseThrow();
    int grid = config.visionConfig().patchesPerSide() * config.visionConfig().patchesPerSide();
    assertEquals(siglip ? grid : grid + 1, pos.shape()[0]);
    // the image tokens: the tower's positions without the first (CLIP's class token; SigLIP's first patch)
    assertEquals(siglip ? grid - 1 : grid, config.visionConfig().numPatches());
    assertFalse(names.isEmpty());
    assertTrue(names.contains(VariableNames.POST_LAYERNORM + "/gamma"));
  }
}
