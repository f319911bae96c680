package org.moellava.export.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;

/** A test array: shape and values (doubles), plus comparison with a tolerance. */
record Arrays2(long[] shape, double[] values) {

  static float[] randomFloats(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
    return a;
  }

  /** Asserts equal shapes and |a - b| <= tol * max(1, |a|) element-wise. */
  static void assertClose(String what, Arrays2 expected, Arrays2 actual, double tol) {
    assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
    for (int i = 0; i < expected.values().length; i++) {
      double e = expected.values()[i];
      double a = actual.values()[i];
      if (Math.abs(e - a) > tol * Math.max(1, Math.abs(e))) {
        assertEquals(e, a, tol * Math.max(1, Math.abs(e)), what + ": element " + i + " of "
            + Arrays.toString(expected.shape()));
      }
    }
  }
}
