package org.moellava.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/** AdamW graph ops against a plain-Java double-precision AdamW on a least-squares problem. */
class AdamWTest {
  private static final double[][] X = {{1.0, -2.0, 0.5}, {0.3, 0.8, -1.1}, {2.0, 0.1, 0.4}, {-0.7, 1.5, 0.9}};
  private static final double[][] Y = {{1.0, 0.0}, {-1.0, 2.0}, {0.5, 0.5}, {3.0, -1.0}};
  private static final double[][] W0 = {{0.1, -0.2}, {0.3, 0.05}, {-0.4, 0.2}};
  private static final double[] B0 = {0.2, -0.1};

  @Test
  void matchesReferenceWithDecayAndClipping() {
    runAndCompare(new AdamW.Config(0.9, 0.999, 1e-8, 0.1, 1.0), 8);
  }

  @Test
  void matchesReferenceWithoutClipping() {
    runAndCompare(new AdamW.Config(0.8, 0.99, 1e-6, 0.0, 0.0), 6);
  }

  private static void runAndCompare(AdamW.Config cfg, int steps) {
    CosineSchedule schedule = CosineSchedule.withWarmupRatio(0.05, steps, 0.25);
    double[][] w = copy(W0);
    double[] b = B0.clone();
    double[][] mw = new double[3][2], vw = new double[3][2];
    double[] mb = new double[2], vb = new double[2];

    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> wv = tf.withName("w").variable(Shape.of(3, 2), TFloat32.class);
      Variable<TFloat32> bv = tf.withName("b").variable(Shape.of(2), TFloat32.class);
      Operand<TFloat32> x = tf.constant(toFloat(X));
      Operand<TFloat32> y = tf.constant(toFloat(Y));
      Operand<TFloat32> err = tf.math.sub(tf.math.add(tf.linalg.matMul(x, wv), bv), y); // [4, 2]
      Operand<TFloat32> loss = tf.sum(tf.math.square(err), tf.constant(new int[] {0, 1}));
      Output<?>[] grads = g.addGradients(loss.asOutput(), new Output<?>[] {wv.asOutput(), bv.asOutput()});
      List<Operand<TFloat32>> gradOps = new ArrayList<>();
      for (Output<?> o : grads) {
        @SuppressWarnings("unchecked") Operand<TFloat32> t = (Operand<TFloat32>) o;
        gradOps.add(t);
      }
      AdamW.Step step = AdamW.build(tf, new org.moellava.graph.layers.NameScopes(tf),
          List.of(new TrainableVariable("w", wv, true), new TrainableVariable("b", bv, false)), gradOps, cfg);
      for (String slot : step.slotNames()) {
        assertEquals(true, g.operation(slot) != null, "slot variable named " + slot);
      }
      var init = tf.withControlDependencies(step.initializers()).noOp();
      s.runner().addTarget(tf.assign(wv, tf.constant(toFloat(W0)))).addTarget(tf.assign(bv, tf.constant(toFloat(B0))))
          .addTarget(init).run();

      for (int t = 1; t <= steps; t++) {
        double lr = schedule.learningRate(t - 1);
        // reference gradient: dL/dW = 2 Xᵀ(XW+b-Y), dL/db = 2 Σ_rows (XW+b-Y)
        double[][] e = new double[4][2];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) {
          double acc = b[j] - Y[i][j];
          for (int k = 0; k < 3; k++) acc += X[i][k] * w[k][j];
          e[i][j] = acc;
        }
        double[][] gw = new double[3][2];
        double[] gb = new double[2];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) {
          gb[j] += 2 * e[i][j];
          for (int k = 0; k < 3; k++) gw[k][j] += 2 * X[i][k] * e[i][j];
        }
        double norm2 = 0;
        for (double[] r : gw) for (double v : r) norm2 += v * v;
        for (double v : gb) norm2 += v * v;
        double norm = Math.sqrt(norm2);
        double scale = cfg.maxGradNorm() > 0 ? cfg.maxGradNorm() / Math.max(norm, cfg.maxGradNorm()) : 1.0;
        double c1 = 1 - Math.pow(cfg.beta1(), t), c2 = 1 - Math.pow(cfg.beta2(), t);
        for (int k = 0; k < 3; k++) for (int j = 0; j < 2; j++) {
          double gg = gw[k][j] * scale;
          mw[k][j] = cfg.beta1() * mw[k][j] + (1 - cfg.beta1()) * gg;
          vw[k][j] = cfg.beta2() * vw[k][j] + (1 - cfg.beta2()) * gg * gg;
          w[k][j] = w[k][j] * (1 - lr * cfg.weightDecay())
              - lr * (mw[k][j] / c1) / (Math.sqrt(vw[k][j] / c2) + cfg.epsilon());
        }
        for (int j = 0; j < 2; j++) {
          double gg = gb[j] * scale;
          mb[j] = cfg.beta1() * mb[j] + (1 - cfg.beta1()) * gg;
          vb[j] = cfg.beta2() * vb[j] + (1 - cfg.beta2()) * gg * gg;
          b[j] = b[j] - lr * (mb[j] / c1) / (Math.sqrt(vb[j] / c2) + cfg.epsilon());
        }

        try (TFloat32 lrT = TFloat32.scalarOf((float) lr);
            Result r = s.runner().feed(step.learningRate(), lrT).addTarget(step.update()).fetch(step.gradNorm()).run()) {
          assertEquals(norm, ((TFloat32) r.get(0)).getFloat(), 1e-4 * norm, "grad norm at step " + t);
        }
      }
      try (Result r = s.runner().fetch(wv).fetch(bv).run()) {
        TFloat32 wt = (TFloat32) r.get(0);
        TFloat32 bt = (TFloat32) r.get(1);
        for (int k = 0; k < 3; k++) for (int j = 0; j < 2; j++) {
          assertEquals(w[k][j], wt.getFloat(k, j), 1e-5 * Math.max(1, Math.abs(w[k][j])), "w[" + k + "][" + j + "]");
        }
        for (int j = 0; j < 2; j++) assertEquals(b[j], bt.getFloat(j), 1e-5 * Math.max(1, Math.abs(b[j])), "b[" + j + "]");
        // the parameters moved: the test would catch an update op that never ran
        assertEquals(true, Math.abs(wt.getFloat(0, 0) - W0[0][0]) > 1e-3);
      }
    }
  }

  private static double[][] copy(double[][] a) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
    return c;
  }

  private static org.tensorflow.ndarray.FloatNdArray toFloat(double[][] a) {
    float[] flat = new float[a.length * a[0].length];
    for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) flat[i * a[0].length + j] = (float) a[i][j];
    return org.tensorflow.ndarray.NdArrays.wrap(Shape.of(a.length, a[0].length), DataBuffers.of(flat));
  }

  private static org.tensorflow.ndarray.FloatNdArray toFloat(double[] a) {
    float[] flat = new float[a.length];
    for (int i = 0; i < a.length; i++) flat[i] = (float) a[i];
    return org.tensorflow.ndarray.NdArrays.wrap(Shape.of(a.length), DataBuffers.of(flat));
  }
}
