package org.moellava.graph;

import org.moellava.graph.moe.MoeBlock;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.graph.moe.MoeRouting;

import org.moellava.tensor.TensorValue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.moellava.graph.TfTest.asFloat32;
import static org.moellava.graph.TfTest.assertClose;
import static org.moellava.graph.TfTest.constant;
import static org.moellava.graph.TfTest.gaussian;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/** The MoE block (both forms, both dispatches) against the double-precision reference. */
class MoeBlockTest {
  private static final double RTOL = 1e-5;
  private final Random random = new Random(11);

  /** One random MoE layer. */
  private record Layer(int d, int e, int inter, int k, double[] router, double[] gate, double[] up, double[] down) {}

  private Layer layer(int d, int e, int inter, int k) {
    return new Layer(d, e, inter, k, asFloat32(gaussian(random, d * e, 0.5)),
        asFloat32(gaussian(random, e * d * inter, 0.3)), asFloat32(gaussian(random, e * d * inter, 0.3)),
        asFloat32(gaussian(random, e * inter * d, 0.3)));
  }

  /** TF outputs: [output, logits, chosen, counts, dropped, aux]. */
  private TensorValue[] runTf(Layer l, double[] x, long[] xShape, double[] tokenMask, double capacityFactor,
      MoeOptions.Dispatch dispatch) {
    return runTf(l, x, xShape, tokenMask, capacityFactor, dispatch, 0);
  }

  private TensorValue[] runTf(Layer l, double[] x, long[] xShape, double[] tokenMask, double capacityFactor,
      MoeOptions.Dispatch dispatch, int minCapacity) {
    return TfTest.run(tf -> {
      Operand<TFloat32> mask = tokenMask == null ? null : constant(tf, tokenMask, xShape[0], xShape[1]);
      Operand<TFloat64> cf = Double.isNaN(capacityFactor) ? null : tf.constant(capacityFactor);
      MoeBlock.Output out = MoeBlock.apply(tf, constant(tf, x, xShape), constant(tf, l.router, l.d, l.e),
          constant(tf, l.gate, l.e, l.d, l.inter), constant(tf, l.up, l.e, l.d, l.inter),
          constant(tf, l.down, l.e, l.inter, l.d), l.e, l.k, true,
          new MoeOptions(mask, cf, null, dispatch, minCapacity));
      MoeRouting r = out.routing();
      return new Operand<?>[] {out.output(), r.logits(), r.chosen(), r.expertCounts(), r.dropped(), r.auxLoss()};
    });
  }

  private Reference.Moe check(String what, Layer l, double[] x, long[] xShape, double[] tokenMask,
      double capacityFactor) {
    int n = (int) (xShape[0] * xShape[1]);
    Reference.Moe ref = Reference.moe(x, n, l.d, l.router, l.gate, l.up, l.down, l.e, l.inter, l.k, true, tokenMask,
        capacityFactor);
    for (MoeOptions.Dispatch dispatch : MoeOptions.Dispatch.values()) {
      TensorValue[] tf = runTf(l, x, xShape, tokenMask, capacityFactor, dispatch);
      String label = what + " (" + dispatch + ")";
      assertArrayEquals(xShape, tf[0].shape(), label + ": output shape");
      assertClose(label + ": output", ref.output(), tf[0].data(), RTOL);
      assertClose(label + ": router logits", ref.logits(), tf[1].data(), RTOL);
      int[][] chosen = new int[n][l.k];
      for (int i = 0; i < n; i++) for (int c = 0; c < l.k; c++) chosen[i][c] = (int) tf[2].data()[i * l.k + c];
      for (int i = 0; i < n; i++) assertArrayEquals(ref.chosen()[i], chosen[i], label + ": chosen experts of token " + i);
      int[] counts = new int[l.e];
      for (int j = 0; j < l.e; j++) counts[j] = (int) tf[3].data()[j];
      assertArrayEquals(ref.expertCounts(), counts, label + ": tokens per expert");
      assertEquals(ref.dropped(), (int) tf[4].data()[0], label + ": dropped");
      assertClose(label + ": aux loss", new double[] {ref.aux()}, tf[5].data(), RTOL);
    }
    return ref;
  }

  @Test
  void inferenceFormMatchesReferenceForBatchOneAndThree() {
    Layer l = layer(8, 4, 12, 2);
    for (int batch : new int[] {1, 3}) {
      double[] x = asFloat32(gaussian(random, batch * 5 * l.d, 1));
      check("inference B=" + batch, l, x, new long[] {batch, 5, l.d}, null, Double.NaN);
    }
  }

  @Test
  void trainingFormWithCapacityMatchesReferenceForBatchOneAndThree() {
    Layer l = layer(8, 4, 12, 2);
    for (int batch : new int[] {1, 3}) {
      double[] x = asFloat32(gaussian(random, batch * 6 * l.d, 1));
      Reference.Moe ref = check("training B=" + batch, l, x, new long[] {batch, 6, l.d}, null, 0.75);
      org.junit.jupiter.api.Assertions.assertTrue(ref.dropped() > 0, "cf 0.75 should drop something");
    }
  }

  @Test
  void topOneOfEightExperts() {
    Layer l = layer(8, 8, 10, 1);
    double[] x = asFloat32(gaussian(random, 3 * 7 * l.d, 1));
    check("k=1 E=8 inference", l, x, new long[] {3, 7, l.d}, null, Double.NaN);
    check("k=1 E=8 training", l, x, new long[] {3, 7, l.d}, null, 1.0);
  }

  @Test
  void exactTiesGoToTheLowerExpertIndex() {
    Layer base = layer(8, 4, 12, 2);
    double[] router = new double[8 * 4];
    for (int i = 0; i < 8; i++) {
      double w = random.nextGaussian();
      router[i * 4] = w * 0.1;
      router[i * 4 + 1] = w; // experts 1 and 3 tie exactly and beat 0 and 2 for positive x·w
      router[i * 4 + 2] = w * 0.1;
      router[i * 4 + 3] = w;
    }
    Layer l = new Layer(8, 4, 12, 1, asFloat32(router), base.gate, base.up, base.down);
    double[] x = asFloat32(gaussian(random, 6 * l.d, 1));
    Reference.Moe ref = check("ties", l, x, new long[] {1, 6, l.d}, null, Double.NaN);
    for (int[] c : ref.chosen()) {
      org.junit.jupiter.api.Assertions.assertTrue(c[0] == 1 || c[0] == 0, "tie resolved to lower index, got " + c[0]);
    }
    Layer all = new Layer(8, 4, 12, 2, new double[8 * 4], base.gate, base.up, base.down); // all probs equal
    Reference.Moe uniform = check("uniform", all, x, new long[] {2, 3, l.d}, null, Double.NaN);
    for (int[] c : uniform.chosen()) assertArrayEquals(new int[] {0, 1}, c);
  }

  @Test
  void capacityOverflowDropsInTokenOrderFirstChoicesFirst() {
    Layer base = layer(4, 4, 6, 2);
    double[] router = new double[4 * 4];
    for (int i = 0; i < 4; i++) {
      router[i * 4] = 2.0; // every (positive) token prefers expert 0, then expert 1
      router[i * 4 + 1] = 1.0;
    }
    Layer l = new Layer(4, 4, 6, 2, router, base.gate, base.up, base.down);
    double[] x = new double[8 * 4];
    for (int i = 0; i < x.length; i++) x[i] = (float) (0.5 + random.nextDouble());
    // T=8, cf=1: capacity ceil(8/4*1*2)=4: tokens 0-3 keep experts 0 and 1, tokens 4-7 lose both.
    Reference.Moe ref = check("overflow", l, x, new long[] {1, 8, 4}, null, 1.0);
    assertArrayEquals(new int[] {4, 4, 0, 0}, ref.expertCounts());
    assertEquals(8, ref.dropped());
    TensorValue out = runTf(l, x, new long[] {1, 8, 4}, null, 1.0, MoeOptions.Dispatch.SPARSE)[0];
    for (int i = 4 * 4; i < 8 * 4; i++) assertEquals(0f, out.data()[i], "dropped token gets nothing");
    // cf 0.75: capacity 3: expert 0 keeps tokens 0-2; expert 1 (second choices) keeps tokens 0-2 too
    Reference.Moe tight = check("overflow cf 0.75", l, x, new long[] {1, 8, 4}, null, 0.75);
    assertArrayEquals(new int[] {3, 3, 0, 0}, tight.expertCounts());
  }

  /**
   * DeepSpeed's {@code _capacity}: {@code max(ceil(T / E · cf · k), min_capacity)}. Every token prefers expert 0, then
   * expert 1. T = 8, E = 4, k = 2, cf = 0.25: ceil(8 / 4 · 0.25 · 2) = 1, so without a floor each expert keeps one
   * token (14 of 16 choices dropped); min_capacity 3 binds: capacity 3, tokens 0-2 keep both experts (10 dropped);
   * min_capacity 2 with cf 1 (ceil = 4) does not bind: capacity 4 (8 dropped).
   */
  @Test
  void minCapacityIsTheFloorOfTheCapacity() {
    Layer base = layer(4, 4, 6, 2);
    double[] router = new double[4 * 4];
    for (int i = 0; i < 4; i++) {
      router[i * 4] = 2.0;
      router[i * 4 + 1] = 1.0;
    }
    Layer l = new Layer(4, 4, 6, 2, router, base.gate, base.up, base.down);
    double[] x = new double[8 * 4];
    for (int i = 0; i < x.length; i++) x[i] = (float) (0.5 + random.nextDouble());
    long[] shape = {1, 8, 4};
    int[][] cases = {/* cf x 100, min_capacity, expected count of experts 0 and 1, dropped */
        {25, 0, 1, 14}, {25, 3, 3, 10}, {100, 2, 4, 8}, {25, 1, 1, 14}};
    for (int[] c : cases) {
      for (MoeOptions.Dispatch dispatch : MoeOptions.Dispatch.values()) {
        String what = "cf " + c[0] / 100.0 + " min_capacity " + c[1] + " (" + dispatch + ")";
        TensorValue[] tf = runTf(l, x, shape, null, c[0] / 100.0, dispatch, c[1]);
        assertArrayEquals(new float[] {c[2], c[2], 0, 0}, tf[3].data(), what + ": tokens per expert");
        assertEquals(c[3], (int) tf[4].data()[0], what + ": dropped");
        for (int t = 0; t < 8; t++) {
          double norm = 0;
          for (int j = 0; j < 4; j++) norm += Math.abs(tf[0].data()[t * 4 + j]);
          assertEquals(t < c[2], norm > 0, what + ": token " + t + (t < c[2] ? " computed" : " dropped"));
        }
      }
    }
  }

  @Test
  void secondChoicesQueueBehindAllFirstChoices() {
    Layer base = layer(4, 4, 6, 2);
    double[] router = new double[4 * 4];
    double[] x = new double[4 * 4];
    // tokens 0,1: first choice 1, second 0; tokens 2,3: first choice 0, second 1.
    for (int i = 0; i < 4; i++) {
      router[i * 4] = i == 0 ? 1 : 0;
      router[i * 4 + 1] = i == 1 ? 1 : 0;
    }
    double[][] rows = {{1, 2, 0, 0}, {1, 2, 0, 0}, {2, 1, 0, 0}, {2, 1, 0, 0}};
    for (int r = 0; r < 4; r++) System.arraycopy(rows[r], 0, x, r * 4, 4);
    Layer l = new Layer(4, 4, 6, 2, router, base.gate, base.up, base.down);
    // T=4, cf 0.5 -> capacity ceil(4/4*0.5*2)=1: expert 1 goes to token 0 (first choice), expert 0 to token 2 (first
    // choice, although token 0's second choice of expert 0 comes earlier in token order).
    Reference.Moe ref = check("first before second", l, x, new long[] {1, 4, 4}, null, 0.5);
    assertArrayEquals(new int[] {1, 1, 0, 0}, ref.expertCounts());
    assertEquals(6, ref.dropped());
  }

  @Test
  void paddingTakesNoCapacityAndNoAuxShare() {
    Layer l = layer(8, 4, 12, 2);
    double[] x = asFloat32(gaussian(random, 2 * 6 * l.d, 1));
    double[] mask = {1, 1, 1, 1, 0, 0, /* row 1 left padded */ 0, 0, 1, 1, 1, 1};
    Reference.Moe ref = check("padding", l, x, new long[] {2, 6, l.d}, mask, 1.0);
    int assigned = 0;
    for (int c : ref.expertCounts()) assigned += c;
    assertEquals(8 * 2 - ref.dropped(), assigned, "only the 8 real tokens are routed");
    check("padding, no drops", l, x, new long[] {2, 6, l.d}, mask, 100.0);
  }

  @Test
  void trainingFormEqualsInferenceFormWhenNothingDrops() {
    Layer l = layer(8, 4, 12, 2);
    double[] x = asFloat32(gaussian(random, 2 * 5 * l.d, 1));
    long[] shape = {2, 5, l.d};
    TensorValue inference = runTf(l, x, shape, null, Double.NaN, MoeOptions.Dispatch.SPARSE)[0];
    TensorValue training = runTf(l, x, shape, null, 2.0, MoeOptions.Dispatch.SPARSE)[0];
    TfTest.assertClose("training vs inference form", inference.data(), training.data(), 1e-6);
  }
}
