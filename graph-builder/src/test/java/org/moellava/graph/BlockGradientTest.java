package org.moellava.graph;

import org.moellava.graph.layers.Activations;
import org.moellava.graph.layers.Attention;
import org.moellava.graph.layers.AttentionMask;
import org.moellava.graph.layers.ImageSplice;
import org.moellava.graph.layers.Linear;
import org.moellava.graph.layers.Norms;
import org.moellava.graph.layers.Rope;
import org.moellava.graph.layers.TensorOps;
import org.moellava.graph.layers.Tensors;
import org.moellava.graph.moe.MoeBlock;
import org.moellava.graph.moe.MoeOptions;

import org.moellava.tensor.TensorValue;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.graph.TfTest.asFloat32;
import static org.moellava.graph.TfTest.constant;
import static org.moellava.graph.TfTest.gaussian;

import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** Gradients of single blocks with respect to their input, against central finite differences. */
class BlockGradientTest {
  private final Random random = new Random(3);

  /** Checks d sum(f(x) * w) / dx for every entry of x. */
  private void check(String what, double[] x, long[] shape, BiFunction<Ops, Operand<TFloat32>, Operand<TFloat32>> f) {
    check(what, x, shape, 1e-2, f);
  }

  private void check(String what, double[] x, long[] shape, double eps,
      BiFunction<Ops, Operand<TFloat32>, Operand<TFloat32>> f) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> input = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape)));
      Operand<TFloat32> y = f.apply(tf, input);
      Operand<TFloat32> w = tf.math.cos(tf.math.mul(tf.dtypes.cast(
          tf.reshape(tf.range(tf.constant(0), tf.size(y), tf.constant(1)), tf.shape(y)), TFloat32.class),
          tf.constant(0.7f)));
      Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(y, w), tf.range(tf.constant(0), tf.rank(y), tf.constant(1)));
      Output<?> grad = g.addGradients(loss.asOutput(), new Output<?>[] {input.asOutput()})[0];
      float[] analytic;
      try (TFloat32 t = Tensors.floats(new TensorValue(shape, TfTest.toFloat(x)));
           Result r = s.runner().feed(input, t).fetch(grad).run()) {
        analytic = Tensors.toValue(r.get(0)).data();
      }
      for (int i = 0; i < x.length; i++) {
        double[] plus = x.clone();
        plus[i] += eps;
        double[] minus = x.clone();
        minus[i] -= eps;
        double numeric = (value(s, input, loss, plus, shape) - value(s, input, loss, minus, shape)) / (2 * eps);
        assertTrue(Math.abs(numeric - analytic[i]) <= 0.01 * Math.abs(numeric) + 2e-3,
            what + "[" + i + "]: analytic " + analytic[i] + " vs finite difference " + numeric);
      }
    }
  }

  private static double value(Session s, Placeholder<TFloat32> input, Operand<TFloat32> loss, double[] x,
      long[] shape) {
    try (TFloat32 t = Tensors.floats(new TensorValue(shape, TfTest.toFloat(x)));
         Result r = s.runner().feed(input, t).fetch(loss).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  @Test
  void sliceAlongSequence() {
    check("slice", asFloat32(gaussian(random, 2 * 5 * 3, 1)), new long[] {2, 5, 3},
        (tf, x) -> TensorOps.sliceAlong(tf, x, 1, 0, tf.math.sub(TensorOps.dim(tf, x, 1), tf.constant(1))));
    check("slice class token", asFloat32(gaussian(random, 2 * 5 * 3, 1)), new long[] {2, 5, 3},
        (tf, x) -> TensorOps.sliceAlong(tf, x, 1, 1, 4));
  }

  /** TF's C++ LogSoftmax gradient is only right for rank 2 (it sums over axis 1); the loss uses rank 2. */
  @Test
  void logSoftmaxTimesOneHotOnRankTwo() {
    int[] labels = {1, -100, 2, 0};
    check("log softmax one-hot", asFloat32(gaussian(random, 4 * 3, 1)), new long[] {4, 3},
        (tf, x) -> tf.math.mul(tf.nn.logSoftmax(x), tf.oneHot(constant(tf, labels, 4), tf.constant(3),
            tf.constant(1f), tf.constant(0f))));
  }

  @Test
  void geluAndLinearWithBias() {
    double[] w = asFloat32(gaussian(random, 4 * 3, 1));
    double[] b = asFloat32(gaussian(random, 3, 1));
    check("gelu(linear)", asFloat32(gaussian(random, 2 * 3 * 4, 1)), new long[] {2, 3, 4},
        (tf, x) -> Activations.gelu(tf, Linear.apply(tf, x, constant(tf, w, 4, 3), constant(tf, b, 3))));
  }

  @Test
  void imageSpliceWithRespectToFeatures() {
    int[] ids = {1, 5, 5, 3, /* row 1 */ 5, 5, 0, 0};
    double[] embeds = asFloat32(gaussian(random, 2 * 4 * 3, 1));
    check("splice", asFloat32(gaussian(random, 2 * 2 * 3, 1)), new long[] {2, 2, 3},
        (tf, x) -> ImageSplice.apply(tf, constant(tf, embeds, 2, 4, 3), constant(tf, ids, 2, 4), x, 5, 2, 3));
  }

  @Test
  void rmsNormAndLayerNorm() {
    double[] gamma = asFloat32(gaussian(random, 5, 1));
    double[] beta = asFloat32(gaussian(random, 5, 1));
    check("rms norm", asFloat32(gaussian(random, 2 * 5, 1)), new long[] {2, 5},
        (tf, x) -> Norms.rmsNorm(tf, x, constant(tf, gamma, 5), 1e-6));
    check("layer norm", asFloat32(gaussian(random, 2 * 5, 1)), new long[] {2, 5},
        (tf, x) -> Norms.layerNorm(tf, x, constant(tf, gamma, 5), constant(tf, beta, 5), 1e-5));
  }

  @Test
  void attentionAndRope() {
    int[] mask = {1, 1, 1, 1, 1, 1, 1, 1};
    int[] pos = {1, 0, 1, 2, 0, 1, 2, 3};
    check("attention", asFloat32(gaussian(random, 2 * 4 * 4 * 2, 1)), new long[] {2, 4, 4, 2}, (tf, x) -> {
      Rope rope = Rope.create(tf, constant(tf, pos, 2, 4), 2, 10000.0);
      Operand<TFloat32> q = rope.apply(tf, x); // [B=2,H=4,S=4,hd=2]
      Operand<TFloat32> kv = tf.slice(q, tf.constant(new int[] {0, 0, 0, 0}), tf.constant(new int[] {-1, 2, -1, -1}));
      return Attention.scaledDotProduct(tf, q, kv, tf.math.mul(kv, tf.constant(0.5f)),
          AttentionMask.causalPadding(tf, constant(tf, mask, 2, 4), tf.constant(4)), 4, 2, 2);
    });
  }

  @Test
  void moeBlockWithRespectToItsInput() {
    int d = 4, e = 4, inter = 5;
    double[] router = asFloat32(gaussian(random, d * e, 0.5));
    double[] gate = asFloat32(gaussian(random, e * d * inter, 0.5));
    double[] up = asFloat32(gaussian(random, e * d * inter, 0.5));
    double[] down = asFloat32(gaussian(random, e * inter * d, 0.5));
    for (MoeOptions.Dispatch dispatch : MoeOptions.Dispatch.values()) {
      // a small step: a larger one can cross a routing boundary, where the output jumps
      check("moe " + dispatch, asFloat32(gaussian(random, 2 * 3 * d, 1)), new long[] {2, 3, d}, 1e-3,
          (tf, x) -> MoeBlock.apply(tf, x, constant(tf, router, d, e), constant(tf, gate, e, d, inter),
              constant(tf, up, e, d, inter), constant(tf, down, e, inter, d), e, 2, true,
              MoeOptions.inference().withDispatch(dispatch)).output());
    }
  }

  /** Phi-2's MLP: {@code fc2(gelu_new(fc1(x) + b1)) + b2} (Tanh has a TF gradient; the fused Gelu has none). */
  @Test
  void geluNewFcMlpWithBiases() {
    double[] fc1 = asFloat32(gaussian(random, 4 * 6, 0.7));
    double[] b1 = asFloat32(gaussian(random, 6, 0.5));
    double[] fc2 = asFloat32(gaussian(random, 6 * 4, 0.7));
    double[] b2 = asFloat32(gaussian(random, 4, 0.5));
    check("fc gelu_new", asFloat32(gaussian(random, 2 * 3 * 4, 1)), new long[] {2, 3, 4},
        (tf, x) -> org.moellava.graph.layers.FeedForward.fc(tf, x, constant(tf, fc1, 4, 6), constant(tf, b1, 6),
            constant(tf, fc2, 6, 4), constant(tf, b2, 4), "gelu_new"));
  }

  @Test
  void partialRopeAndLayerNormWithoutBias() {
    int[] pos = {1, 0, 1, 2, 0, 1, 2, 3};
    check("partial rope", asFloat32(gaussian(random, 2 * 2 * 4 * 6, 1)), new long[] {2, 2, 4, 6},
        (tf, x) -> Rope.create(tf, constant(tf, pos, 2, 4), 6, 2, 10000.0).apply(tf, x));
    double[] gamma = asFloat32(gaussian(random, 5, 1));
    check("layer norm without bias", asFloat32(gaussian(random, 2 * 5, 1)), new long[] {2, 5},
        (tf, x) -> Norms.layerNorm(tf, x, constant(tf, gamma, 5), null, 1e-5));
  }

  @Test
  void fcExpertsMoeBlockWithRespectToItsInput() {
    int d = 4, e = 4, inter = 5;
    double[] router = asFloat32(gaussian(random, d * e, 0.5));
    double[] fc1 = asFloat32(gaussian(random, e * d * inter, 0.5));
    double[] b1 = asFloat32(gaussian(random, e * inter, 0.5));
    double[] fc2 = asFloat32(gaussian(random, e * inter * d, 0.5));
    double[] b2 = asFloat32(gaussian(random, e * d, 0.5));
    for (MoeOptions.Dispatch dispatch : MoeOptions.Dispatch.values()) {
      check("fc moe " + dispatch, asFloat32(gaussian(random, 2 * 3 * d, 1)), new long[] {2, 3, d}, 1e-3,
          (tf, x) -> MoeBlock.apply(tf, x, constant(tf, router, d, e),
              org.moellava.graph.moe.ExpertWeights.fc(constant(tf, fc1, e, d, inter), constant(tf, b1, e, inter),
                  constant(tf, fc2, e, inter, d), constant(tf, b2, e, d), "gelu_new"), e, 2, true,
              MoeOptions.inference().withDispatch(dispatch)).output());
    }
  }
}
