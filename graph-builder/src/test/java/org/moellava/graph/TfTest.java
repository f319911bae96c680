package org.moellava.graph;

import org.moellava.graph.layers.Tensors;

import org.moellava.tensor.TensorValue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Helpers for tests: constants, one-shot graph runs, tolerant comparisons, random data. */
final class TfTest {
  private TfTest() {}

  static Operand<TFloat32> constant(Ops tf, double[] data, long... shape) {
    float[] f = new float[data.length];
    for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
    return tf.constant(Shape.of(shape), DataBuffers.of(f));
  }

  static Operand<TInt32> constant(Ops tf, int[] data, long... shape) {
    return tf.constant(Shape.of(shape), DataBuffers.of(data));
  }

  /** Builds one graph, runs it once and returns the float outputs. */
  static TensorValue[] run(Function<Ops, Operand<?>[]> build) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Operand<?>[] outs = build.apply(Ops.create(g));
      Session.Runner runner = s.runner();
      for (Operand<?> o : outs) runner.fetch(o);
      try (Result r = runner.run()) {
        TensorValue[] values = new TensorValue[outs.length];
        for (int i = 0; i < outs.length; i++) {
          values[i] = r.get(i) instanceof TFloat32 ? Tensors.toValue(r.get(i))
              : intsAsValue(r.get(i));
        }
        return values;
      }
    }
  }

  private static TensorValue intsAsValue(org.tensorflow.Tensor t) {
    int[] ints = Tensors.toInts(t);
    float[] f = new float[ints.length];
    for (int i = 0; i < f.length; i++) f[i] = ints[i];
    return new TensorValue(t.shape().asArray(), f);
  }

  static TensorValue run1(Function<Ops, Operand<?>> build) {
    return run(tf -> new Operand<?>[] {build.apply(tf)})[0];
  }

  /** |actual - expected| <= rtol*|expected| + 0.1*rtol*max|expected| for every entry where expected is not NaN. */
  static void assertClose(String what, double[] expected, float[] actual, double rtol) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = 0;
    for (double e : expected) if (!Double.isNaN(e)) scale = Math.max(scale, Math.abs(e));
    int compared = 0;
    for (int i = 0; i < expected.length; i++) {
      if (Double.isNaN(expected[i])) continue;
      double tol = rtol * Math.abs(expected[i]) + 0.1 * rtol * scale + 1e-12;
      double err = Math.abs(actual[i] - expected[i]);
      assertTrue(err <= tol, what + ": index " + i + " expected " + expected[i] + " got " + actual[i]
          + " (err " + err + " > tol " + tol + ")");
      compared++;
    }
    assertTrue(compared > 0, what + ": nothing compared");
  }

  static void assertClose(String what, float[] expected, float[] actual, double rtol) {
    double[] e = new double[expected.length];
    for (int i = 0; i < e.length; i++) e[i] = expected[i];
    assertClose(what, e, actual, rtol);
  }

  static double[] gaussian(Random random, int n, double std) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) d[i] = random.nextGaussian() * std;
    return d;
  }

  static float[] toFloat(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
    return f;
  }

  /** Rounds to float32 and back, so references start from exactly the values the graph sees. */
  static double[] asFloat32(double[] d) {
    double[] out = new double[d.length];
    for (int i = 0; i < d.length; i++) out[i] = (float) d[i];
    return out;
  }
}
