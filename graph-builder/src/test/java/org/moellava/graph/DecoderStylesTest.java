package org.moellava.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.moellava.config.DecoderStyle;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.VariableSpec;
import org.moellava.graph.variables.WeightLoader;
import org.moellava.tensor.TensorValue;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The decoder graph of every family against {@link ReferenceDecoder} (plain Java, double precision): logits and
 * router logits to 1e-5 relative, with left padding, partial rotary, every bias and LayerNorm parameter non-zero.
 */
class DecoderStylesTest {

  @ParameterizedTest
  @EnumSource(DecoderStyle.class)
  void decoderGraphMatchesTheDoublePrecisionReference(DecoderStyle style) {
    ModelConfig config = TestConfigs.micro(style);
    TextConfig t = config.textConfig();
    Map<String, TensorValue> weights = TestData.perturbedWeights(config, 5, 10f);
    Random random = new Random(11);
    int b = 2, s = 7, d = t.hiddenSize();
    double[] embeds = TfTest.asFloat32(TfTest.gaussian(random, b * s * d, 1));
    int[] mask = {1, 1, 1, 1, 1, 1, 1, /* row 1: two left-padding tokens */ 0, 0, 1, 1, 1, 1, 1};
    int[] positions = new int[b * s];
    for (int row = 0; row < b; row++) {
      int c = 0;
      for (int i = 0; i < s; i++) {
        c += mask[row * s + i];
        positions[row * s + i] = mask[row * s + i] == 0 ? 1 : c - 1;
      }
    }
    ReferenceDecoder.Output expected = new ReferenceDecoder(t, weights).forward(embeds, b, s, mask, positions);

    try (DecoderGraph g = DecoderGraph.build(config); Session session = new Session(g.graph())) {
      WeightLoader.load(session, g.variables(), weights);
      List<Tensor> fed = new ArrayList<>();
      try {
        Session.Runner run = session.runner();
        fed.add(Tensors.floats(new TensorValue(new long[] {b, s, d}, TfTest.toFloat(embeds))));
        run.feed(g.inputsEmbeds(), fed.get(fed.size() - 1));
        fed.add(Tensors.ints(mask, b, s));
        run.feed(g.attentionMask(), fed.get(fed.size() - 1));
        fed.add(Tensors.ints(positions, b, s));
        run.feed(g.positionIds(), fed.get(fed.size() - 1));
        for (int i = 0; i < t.numHiddenLayers(); i++) {
          fed.add(TFloat32.tensorOf(org.tensorflow.ndarray.Shape.of(b, t.numKeyValueHeads(), 0, t.headDim())));
          run.feed(g.pastKeys().get(i), fed.get(fed.size() - 1));
          fed.add(TFloat32.tensorOf(org.tensorflow.ndarray.Shape.of(b, t.numKeyValueHeads(), 0, t.headDim())));
          run.feed(g.pastValues().get(i), fed.get(fed.size() - 1));
        }
        run.fetch(g.logits());
        g.routerLogits().values().forEach(run::fetch);
        try (Result r = run.run()) {
          TfTest.assertClose(style + " logits", expected.logits(), Tensors.toValue(r.get(0)).data(), 1e-5);
          int j = 1;
          for (int layer : g.routerLogits().keySet()) {
            TfTest.assertClose(style + " router logits " + layer, expected.routerLogits().get(layer),
                Tensors.toValue(r.get(j++)).data(), 1e-5);
          }
          assertEquals(t.moeLayerIndices(), List.copyOf(g.routerLogits().keySet()));
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(DecoderStyle.class)
  void variableNamesFollowTheArchitecture(DecoderStyle style) {
    ModelConfig config = TestConfigs.micro(style);
    List<String> names = ModelVariableSpecs.decoder(config).stream().map(VariableSpec::name).toList();
    String l0 = VariableNames.decoderLayer(0);
    String l1 = VariableNames.decoderLayer(1);
    boolean layerNorm = style == DecoderStyle.STABLELM || style == DecoderStyle.PHI;
    assertEquals(layerNorm, names.contains(l0 + "/input_layernorm/beta"), "norm bias");
    assertEquals(layerNorm, names.contains(VariableNames.FINAL_NORM + "/beta"), "final norm bias");
    assertEquals(style != DecoderStyle.PHI, names.contains(l0 + "/post_attention_layernorm/gamma"), "second norm");
    assertEquals(style == DecoderStyle.PHI, names.contains(l0 + "/self_attn/o_proj/bias"), "o bias");
    assertTrue(names.contains(l0 + "/self_attn/q_proj/bias"));
    assertEquals(style == DecoderStyle.PHI, names.contains(VariableNames.expertsFc1Bias(0)), "fc experts");
    assertEquals(style == DecoderStyle.PHI, names.contains(VariableNames.denseFc2(1) + "/bias"), "fc dense");
    assertEquals(style != DecoderStyle.PHI, names.contains(VariableNames.denseGate(1)), "swiglu dense");
    assertEquals(style == DecoderStyle.PHI, names.contains(VariableNames.LM_HEAD_BIAS), "lm_head bias");
    assertFalse(names.contains(VariableNames.expertsGate(1)) || names.contains(l1 + "/mlp/gate/kernel"));
    for (String n : names) VariableNames.groupOf(n); // every name belongs to a training group
  }
}
