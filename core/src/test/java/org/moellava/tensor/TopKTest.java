package org.moellava.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link TopK} against a brute-force reference: a full stable sort of the row by the stated order. */
class TopKTest {
  /** The reference: sort all indices (NaN last, larger first, then lower index), keep the first k. */
  private static int[] bruteForce(float[] values, int offset, int count, int k) {
    Comparator<Integer> order = (i, j) -> {
      float a = values[offset + i];
      float b = values[offset + j];
      boolean na = Float.isNaN(a);
      boolean nb = Float.isNaN(b);
      if (na != nb) return na ? 1 : -1;
      if (!na && a != b) return a > b ? -1 : 1; // a != b is false for -0.0 vs 0.0: they tie
      return Integer.compare(i, j);
    };
    return IntStream.range(0, count).boxed().sorted(order).limit(k).mapToInt(Integer::intValue).toArray();
  }

  @Test
  void handPickedRows() {
    assertArrayEquals(new int[] {1, 3}, TopK.of(new float[] {0, 5, 1, 4}, 0, 4, 2));
    // exact ties go to the lower index, at every rank
    assertArrayEquals(new int[] {0, 1, 2}, TopK.of(new float[] {0, 0, 0, 0}, 0, 4, 3));
    assertArrayEquals(new int[] {1, 3, 0}, TopK.of(new float[] {1, 2, 1, 2}, 0, 4, 3));
    assertArrayEquals(new int[] {0, 1}, TopK.of(new float[] {-0.0f, 0.0f}, 0, 2, 2));
    assertArrayEquals(new int[] {1, 0, 2}, TopK.of(new float[] {5, 0.0f, 7, -0.0f}, 1, 3, 3));
    // NaN ranks below -Infinity, in index order among NaNs
    float nan = Float.NaN;
    assertArrayEquals(new int[] {2, 1, 0, 3}, TopK.of(new float[] {nan, Float.NEGATIVE_INFINITY, 3, nan}, 0, 4, 4));
    assertArrayEquals(new int[] {1}, TopK.of(new float[] {nan, -1e30f}, 0, 2, 1));
    assertArrayEquals(new int[] {}, TopK.of(new float[] {1, 2}, 0, 2, 0));
  }

  @Test
  void offsetSelectsTheRowAndIndicesAreRelativeToIt() {
    float[] two = {9, 9, 9, /* row 1: */ 1, 3, 2};
    assertArrayEquals(new int[] {1, 2}, TopK.of(two, 3, 3, 2));
    assertArrayEquals(new int[] {1, 2}, TopK.of(FloatBuffer.wrap(two), 3, 3, 2));
  }

  @Test
  void matchesBruteForceOnRandomRowsWithTiesAndNaNsForEveryK() {
    SplittableRandom rnd = new SplittableRandom(7);
    float[] pool = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0.0f, 0.0f, -1, 1, 0.5f, 2};
    for (int trial = 0; trial < 3000; trial++) {
      int count = 1 + rnd.nextInt(12);
      int offset = rnd.nextInt(4);
      float[] values = new float[offset + count + rnd.nextInt(3)];
      int mode = trial % 3;
      for (int i = 0; i < values.length; i++) {
        values[i] = switch (mode) {
          case 0 -> pool[rnd.nextInt(pool.length)]; // many exact ties, signed zeros, infinities, NaNs
          case 1 -> rnd.nextInt(3); // few distinct values: ties at the k-th/(k+1)-th boundary
          default -> (float) rnd.nextGaussian(); // distinct values
        };
      }
      FloatBuffer heap = FloatBuffer.wrap(values);
      FloatBuffer direct = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
      direct.put(values);
      direct.position(values.length / 2); // absolute reads: the position must not matter
      for (int k = 1; k <= count; k++) {
        int[] expected = bruteForce(values, offset, count, k);
        String row = Arrays.toString(Arrays.copyOfRange(values, offset, offset + count)) + " k=" + k;
        assertArrayEquals(expected, TopK.of(values, offset, count, k), row);
        assertArrayEquals(expected, TopK.of(heap, offset, count, k), "heap buffer " + row);
        assertArrayEquals(expected, TopK.of(direct, offset, count, k), "direct buffer " + row);
      }
    }
  }

  @Test
  void rejectsKOutsideTheRowAndRowsOutsideTheArray() {
    float[] v = {1, 2, 3};
    assertThrows(IllegalArgumentException.class, () -> TopK.of(v, 0, 3, 4));
    assertThrows(IllegalArgumentException.class, () -> TopK.of(v, 0, 3, -1));
    assertThrows(IllegalArgumentException.class, () -> TopK.of(v, 1, 3, 1));
    assertThrows(IllegalArgumentException.class, () -> TopK.of(FloatBuffer.wrap(v), 2, 2, 1));
  }
}
