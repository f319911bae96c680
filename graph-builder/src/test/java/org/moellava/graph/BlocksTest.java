package org.moellava.graph;

import org.moellava.graph.layers.Activations;
import org.moellava.graph.layers.Attention;
import org.moellava.graph.layers.AttentionMask;
import org.moellava.graph.layers.FeedForward;
import org.moellava.graph.layers.ImageSplice;
import org.moellava.graph.layers.Linear;
import org.moellava.graph.layers.Norms;
import org.moellava.graph.layers.Rope;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.ModelVariables;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.WeightLoader;

import org.moellava.tensor.TensorValue;

import static org.moellava.graph.TfTest.asFloat32;
import static org.moellava.graph.TfTest.assertClose;
import static org.moellava.graph.TfTest.constant;
import static org.moellava.graph.TfTest.gaussian;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Each block's TF output against the plain-Java double-precision reference, 1e-5 relative. */
class BlocksTest {
  private static final double RTOL = 1e-5;
  private final Random random = new Random(7);

  @Test
  void layerNormMatchesReference() {
    int d = 24;
    double[] x = asFloat32(gaussian(random, 2 * 5 * d, 1.5));
    double[] gamma = asFloat32(gaussian(random, d, 1));
    double[] beta = asFloat32(gaussian(random, d, 1));
    TensorValue out = TfTest.run1(tf -> Norms.layerNorm(tf, constant(tf, x, 2, 5, d), constant(tf, gamma, d),
        constant(tf, beta, d), 1e-5));
    assertClose("layer norm", Reference.layerNorm(x, d, gamma, beta, 1e-5), out.data(), RTOL);
  }

  @Test
  void rmsNormMatchesReference() {
    int d = 16;
    double[] x = asFloat32(gaussian(random, 3 * 4 * d, 2));
    double[] gamma = asFloat32(gaussian(random, d, 1));
    TensorValue out = TfTest.run1(tf -> Norms.rmsNorm(tf, constant(tf, x, 3, 4, d), constant(tf, gamma, d), 1e-6));
    assertClose("rms norm", Reference.rmsNorm(x, d, gamma, 1e-6), out.data(), RTOL);
  }

  @Test
  void activationsMatchReference() {
    double[] x = asFloat32(gaussian(random, 64, 3));
    TensorValue[] out = TfTest.run(tf -> new Operand<?>[] {
        Activations.quickGelu(tf, constant(tf, x, 64)), Activations.gelu(tf, constant(tf, x, 64)),
        Activations.silu(tf, constant(tf, x, 64))});
    double[] qg = new double[64];
    double[] g = new double[64];
    double[] s = new double[64];
    for (int i = 0; i < 64; i++) {
      qg[i] = Reference.quickGelu(x[i]);
      g[i] = Reference.gelu(x[i]);
      s[i] = Reference.silu(x[i]);
    }
    assertClose("quick_gelu", qg, out[0].data(), RTOL);
    assertClose("gelu", g, out[1].data(), RTOL);
    assertClose("silu", s, out[2].data(), RTOL);
  }

  @Test
  void ropeMatchesReference() {
    int b = 2, h = 3, s = 5, hd = 8;
    double[] x = asFloat32(gaussian(random, b * h * s * hd, 1));
    int[] positions = {0, 1, 2, 3, 4, 7, 8, 9, 30, 31};
    TensorValue out = TfTest.run1(tf -> Rope.create(tf, constant(tf, positions, b, s), hd, 10000.0)
        .apply(tf, constant(tf, x, b, h, s, hd)));
    // the angle pos*inv_freq is large for pos 31, so float32 rounding of the angle limits the accuracy
    assertClose("rope", Reference.rope(x, b, h, s, hd, positions, 10000.0), out.data(), 2e-5);
  }

  @Test
  void groupedQueryAttentionWithCausalAndPaddingMaskMatchesReference() {
    int b = 2, hq = 4, hkv = 2, s = 3, t = 5, hd = 4;
    double[] q = asFloat32(gaussian(random, b * hq * s * hd, 1));
    double[] k = asFloat32(gaussian(random, b * hkv * t * hd, 1));
    double[] v = asFloat32(gaussian(random, b * hkv * t * hd, 1));
    int[] mask = {1, 1, 1, 1, 1, /* row 1: left padding */ 0, 0, 1, 1, 1};
    TensorValue out = TfTest.run1(tf -> {
      Operand<TFloat32> qq = constant(tf, q, b, hq, s, hd);
      Operand<TFloat32> bias = AttentionMask.causalPadding(tf, constant(tf, mask, b, t), tf.constant(s));
      return Attention.scaledDotProduct(tf, qq, constant(tf, k, b, hkv, t, hd), constant(tf, v, b, hkv, t, hd), bias,
          hq, hkv, hd);
    });
    assertClose("gqa attention", Reference.attention(q, k, v, mask, b, hq, hkv, s, t, hd), out.data(), RTOL);
  }

  @Test
  void swiGluMatchesReference() {
    int d = 8, inter = 12, n = 6;
    double[] x = asFloat32(gaussian(random, n * d, 1));
    double[] gate = asFloat32(gaussian(random, d * inter, 0.3));
    double[] up = asFloat32(gaussian(random, d * inter, 0.3));
    double[] down = asFloat32(gaussian(random, inter * d, 0.3));
    TensorValue out = TfTest.run1(tf -> FeedForward.swiGlu(tf, constant(tf, x, 2, 3, d), constant(tf, gate, d, inter),
        constant(tf, up, d, inter), constant(tf, down, inter, d)));
    assertClose("swiglu", Reference.swiGlu(x, d, gate, up, down, inter), out.data(), RTOL);
  }

  @Test
  void projectorLoadedThroughWeightLoaderMatchesReference() {
    ModelConfig config = TestConfigs.micro();
    int dv = config.visionConfig().hiddenSize();
    int d = config.textConfig().hiddenSize();
    double[] w1 = asFloat32(gaussian(random, dv * d, 0.3));
    double[] b1 = asFloat32(gaussian(random, d, 0.3));
    double[] w2 = asFloat32(gaussian(random, d * d, 0.3));
    double[] b2 = asFloat32(gaussian(random, d, 0.3));
    double[] x = asFloat32(gaussian(random, 2 * 3 * dv, 1));
    Map<String, TensorValue> weights = Map.of(
        VariableNames.PROJECTOR_LINEAR_1 + "/kernel", new TensorValue(new long[] {dv, d}, TfTest.toFloat(w1)),
        VariableNames.PROJECTOR_LINEAR_1 + "/bias", new TensorValue(new long[] {d}, TfTest.toFloat(b1)),
        VariableNames.PROJECTOR_LINEAR_2 + "/kernel", new TensorValue(new long[] {d, d}, TfTest.toFloat(w2)),
        VariableNames.PROJECTOR_LINEAR_2 + "/bias", new TensorValue(new long[] {d}, TfTest.toFloat(b2)));
    try (Graph g = new Graph(); Session session = new Session(g)) {
      Ops tf = Ops.create(g);
      ModelVariables vars = new ModelVariables(g, tf, ModelVariableSpecs.projector(config));
      Operand<TFloat32> y = FeedForward.projector(tf, vars, constant(tf, x, 2, 3, dv));
      WeightLoader.load(session, vars, weights);
      try (Result r = session.runner().fetch(y).run()) {
        assertClose("projector", Reference.projector(x, dv, w1, b1, w2, b2, d), Tensors.toValue(r.get(0)).data(),
            RTOL);
      }
      Map<String, TensorValue> readBack = WeightLoader.read(session, vars);
      org.junit.jupiter.api.Assertions.assertEquals(weights.get(VariableNames.PROJECTOR_LINEAR_2 + "/kernel"),
          readBack.get(VariableNames.PROJECTOR_LINEAR_2 + "/kernel"));
    }
  }

  @Test
  void imageSpliceTakesFeaturesInOrderPerRow() {
    int b = 3, s = 7, p = 2, d = 4, image = 5;
    int[] ids = {1, 5, 5, 3, 4, 4, 4, /* row 1 */ 5, 5, 0, 0, 0, 0, 0, /* row 2: no image */ 1, 2, 3, 4, 6, 7, 8};
    double[] embeds = asFloat32(gaussian(random, b * s * d, 1));
    double[] features = asFloat32(gaussian(random, b * p * d, 1));
    TensorValue out = TfTest.run1(tf -> ImageSplice.apply(tf, constant(tf, embeds, b, s, d), constant(tf, ids, b, s),
        constant(tf, features, b, p, d), image, p, d));
    assertClose("splice", Reference.splice(embeds, ids, features, b, s, p, d, image), out.data(), 0);
  }

  @Test
  void linearWithoutBiasOnRank3Input() {
    double[] x = asFloat32(gaussian(random, 2 * 3 * 5, 1));
    double[] w = asFloat32(gaussian(random, 5 * 4, 1));
    TensorValue out = TfTest.run1(tf -> Linear.apply(tf, constant(tf, x, 2, 3, 5), constant(tf, w, 5, 4), null));
    org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {2, 3, 4}, out.shape());
    assertClose("linear", Reference.linear(x, 5, w, 4, null), out.data(), RTOL);
  }

  @Test
  void layerNormWithoutBiasMatchesReference() {
    int d = 12;
    double[] x = asFloat32(gaussian(random, 3 * 4 * d, 1.5));
    double[] gamma = asFloat32(gaussian(random, d, 1));
    TensorValue out = TfTest.run1(tf -> Norms.layerNorm(tf, constant(tf, x, 3, 4, d), constant(tf, gamma, d), null,
        1e-5));
    assertClose("layer norm without bias", Reference.layerNorm(x, d, gamma, null, 1e-5), out.data(), RTOL);
  }

  @Test
  void geluNewIsTheTanhApproximation() {
    double[] x = asFloat32(gaussian(random, 64, 3));
    TensorValue[] out = TfTest.run(tf -> new Operand<?>[] {Activations.geluNew(tf, constant(tf, x, 64)),
        Activations.byName(tf, "gelu_new", constant(tf, x, 64))});
    double[] expected = new double[64];
    for (int i = 0; i < 64; i++) expected[i] = Reference.geluNew(x[i]);
    assertClose("gelu_new", expected, out[0].data(), RTOL);
    assertClose("gelu_new by name", expected, out[1].data(), RTOL);
    // it is not exact GELU: they differ by up to ~1e-3 around |x| = 2
    double maxDiff = 0;
    for (int i = 0; i < 64; i++) maxDiff = Math.max(maxDiff, Math.abs(Reference.geluNew(x[i]) - Reference.gelu(x[i])));
    org.junit.jupiter.api.Assertions.assertTrue(maxDiff > 1e-5, "gelu_new vs gelu " + maxDiff);
  }

  @Test
  void partialRopeRotatesOnlyTheLeadingDims() {
    int b = 2, h = 3, s = 5, hd = 10;
    double[] x = asFloat32(gaussian(random, b * h * s * hd, 1));
    int[] positions = {0, 1, 2, 3, 4, 7, 8, 9, 30, 31};
    for (int rd : new int[] {2, 4, 10}) {
      TensorValue out = TfTest.run1(tf -> Rope.create(tf, constant(tf, positions, b, s), hd, rd, 10000.0)
          .apply(tf, constant(tf, x, b, h, s, hd)));
      double[] expected = Reference.partialRope(x, b, h, s, hd, rd, positions, 10000.0);
      assertClose("rope rd=" + rd, expected, out.data(), 2e-5);
      if (rd < hd) {
        for (int i = rd; i < hd; i++) {
          org.junit.jupiter.api.Assertions.assertEquals((float) x[i], out.data()[i], "pass-through dim " + i);
        }
      }
    }
    // full rotary through the partial path equals the original rotate-half reference
    double[] full = Reference.rope(x, b, h, s, hd, positions, 10000.0);
    double[] viaPartial = Reference.partialRope(x, b, h, s, hd, hd, positions, 10000.0);
    for (int i = 0; i < full.length; i++) {
      org.junit.jupiter.api.Assertions.assertEquals(full[i], viaPartial[i], 1e-12, "rope full " + i);
    }
  }

  @Test
  void fcMlpWithBiasesMatchesReference() {
    int d = 8, inter = 12, n = 6;
    double[] x = asFloat32(gaussian(random, n * d, 1));
    double[] fc1 = asFloat32(gaussian(random, d * inter, 0.3));
    double[] b1 = asFloat32(gaussian(random, inter, 0.3));
    double[] fc2 = asFloat32(gaussian(random, inter * d, 0.3));
    double[] b2 = asFloat32(gaussian(random, d, 0.3));
    for (String act : new String[] {"gelu_new", "gelu"}) {
      TensorValue out = TfTest.run1(tf -> FeedForward.fc(tf, constant(tf, x, 2, 3, d), constant(tf, fc1, d, inter),
          constant(tf, b1, inter), constant(tf, fc2, inter, d), constant(tf, b2, d), act));
      assertClose("fc " + act, Reference.fc(x, d, fc1, b1, fc2, b2, inter, act), out.data(), RTOL);
    }
  }

  /** Qwen-1's {@code c_proj(w1(x) * silu(w2(x)))} is the SwiGLU block with gate = w2, up = w1, down = c_proj. */
  @Test
  void qwenMlpIsSwiGluWithGateW2AndUpW1() {
    int d = 8, inter = 10, n = 6;
    double[] x = asFloat32(gaussian(random, n * d, 1));
    double[] w1 = asFloat32(gaussian(random, d * inter, 0.3));
    double[] w2 = asFloat32(gaussian(random, d * inter, 0.3));
    double[] cProj = asFloat32(gaussian(random, inter * d, 0.3));
    TensorValue out = TfTest.run1(tf -> FeedForward.swiGlu(tf, constant(tf, x, 2, 3, d), constant(tf, w2, d, inter),
        constant(tf, w1, d, inter), constant(tf, cProj, inter, d)));
    assertClose("qwen mlp", Reference.qwenMlp(x, d, w1, w2, cProj, inter), out.data(), RTOL);
  }
}
