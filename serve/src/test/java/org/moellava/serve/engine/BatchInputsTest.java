package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.moellava.serve.engine.TinyModel.INFO;
import static org.moellava.serve.engine.TinyModel.floats;
import static org.moellava.serve.engine.TinyModel.longs;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.moellava.runtime.Tensors;

/** Layouts of {@link BatchInputs} against arrays written out by hand (pad id 9, Hkv 2, hd 1, 2 layers). */
class BatchInputsTest {

  @Test
  void promptsAreLeftPaddedToTheLongestWithTheirOwnPositions() {
    PackedBatch batch = new BatchInputs(INFO).prompts(List.of(new int[] {5, 6}, new int[] {3, 4, 5, 6}, new int[] {7}));
    assertEquals(3, batch.batch());
    assertEquals(4, batch.seq());
    assertEquals(0, batch.past());
    assertArrayEquals(new long[] { // [B, S]
        9, 9, 5, 6,
        3, 4, 5, 6,
        9, 9, 9, 7}, longs(batch.ids()));
    assertArrayEquals(new long[] {
        0, 0, 1, 1,
        1, 1, 1, 1,
        0, 0, 0, 1}, longs(batch.mask()));
    assertArrayEquals(new long[] {
        0, 0, 0, 1,
        0, 1, 2, 3,
        0, 0, 0, 0}, longs(batch.positions()));
    assertEquals(2, batch.pastKeys().size());
    assertEquals(0, batch.pastKeys().get(1).limit());
    assertEquals(0, batch.pastValues().get(0).limit());
  }

  @Test
  void decodeStepLeftPadsThePastsToTheLongest() {
    PackedBatch step = new BatchInputs(INFO).step(new int[] {4, 5, 6}, List.of(cache(1, 3), cache(2, 1), cache(3, 2)));
    assertEquals(3, step.batch());
    assertEquals(1, step.seq());
    assertEquals(3, step.past());
    assertArrayEquals(new long[] {4, 5, 6}, longs(step.ids())); // [B, 1]
    assertArrayEquals(new long[] {3, 1, 2}, longs(step.positions())); // [B, 1]: each row's own next position
    assertArrayEquals(new long[] { // [B, past + 1]
        1, 1, 1, 1,
        0, 0, 1, 1,
        0, 1, 1, 1}, longs(step.mask()));
    assertArrayEquals(new float[] { // layer 0 keys [B, Hkv, past, hd]
        101, 102, 103, 111, 112, 113,
        0, 0, 201, 0, 0, 211,
        0, 301, 302, 0, 311, 312}, floats(step.pastKeys().get(0)));
    assertArrayEquals(new float[] {
        -101, -102, -103, -111, -112, -113,
        0, 0, -201, 0, 0, -211,
        0, -301, -302, 0, -311, -312}, floats(step.pastValues().get(0)));
    assertArrayEquals(new float[] {
        1101, 1102, 1103, 1111, 1112, 1113,
        0, 0, 1201, 0, 0, 1211,
        0, 1301, 1302, 0, 1311, 1312}, floats(step.pastKeys().get(1)));
  }

  /** The stores grow and are reused: a smaller batch after a larger one sees none of its data. */
  @Test
  void reusedBuffersHoldOnlyTheCurrentBatch() {
    BatchInputs inputs = new BatchInputs(INFO);
    inputs.step(new int[] {4, 5, 6}, List.of(cache(1, 3), cache(2, 1), cache(3, 2)));
    PackedBatch step = inputs.step(new int[] {7, 8}, List.of(cache(4, 2), cache(5, 1)));
    assertEquals(2, step.past());
    assertArrayEquals(new long[] {7, 8}, longs(step.ids()));
    assertArrayEquals(new long[] {2, 1}, longs(step.positions()));
    assertArrayEquals(new long[] {1, 1, 1, 0, 1, 1}, longs(step.mask()));
    assertArrayEquals(new float[] {401, 402, 411, 412, 0, 501, 0, 511}, floats(step.pastKeys().get(0)));
    PackedBatch prompts = inputs.prompts(List.of(new int[] {3}, new int[] {4, 5}));
    assertArrayEquals(new long[] {9, 3, 4, 5}, longs(prompts.ids()));
    assertArrayEquals(new long[] {0, 1, 1, 1}, longs(prompts.mask()));
    assertArrayEquals(new long[] {0, 0, 0, 1}, longs(prompts.positions()));
  }

  @Test
  void imagesArePackedAndRowsWithoutOneGetZeroFeatures() {
    BatchInputs inputs = new BatchInputs(INFO);
    FloatBuffer earlier = inputs.features(Arrays.asList(null, new float[3], new float[3]),
        Tensors.floatsOf(new float[] {7, 8, 5, 6}));
    assertArrayEquals(new float[] {0, 0, 7, 8, 5, 6}, floats(earlier)); // row 1 must be zeroed when reused below
    List<float[]> rows = Arrays.asList(new float[] {1, 2, 3}, null, new float[] {4, 5, 6});
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, floats(inputs.pixels(rows))); // [I, 3, H, W]
    FloatBuffer computed = Tensors.floatsOf(new float[] {10, 11, 20, 21}); // [I, P, D]
    assertArrayEquals(new float[] {10, 11, 0, 0, 20, 21}, floats(inputs.features(rows, computed))); // [B, P, D]
    List<float[]> allImages = List.of(new float[3], new float[3]);
    assertSame(computed, inputs.features(allImages, computed));
  }

  /**
   * A cache of {@code length} positions whose key at layer l, head h, position t is
   * {@code 1000 l + 100 tag + 10 h + t + 1} and whose value is minus that.
   */
  private static KvCache cache(int tag, int length) {
    List<FloatBuffer> keys = new ArrayList<>();
    List<FloatBuffer> values = new ArrayList<>();
    for (int l = 0; l < INFO.numLayers(); l++) {
      FloatBuffer k = Tensors.floats((long) INFO.kvWidth() * length); // [1, Hkv, length, hd]
      FloatBuffer v = Tensors.floats((long) INFO.kvWidth() * length);
      for (int h = 0; h < INFO.numKeyValueHeads(); h++) {
        for (int t = 0; t < length; t++) {
          float key = 1000 * l + 100 * tag + 10 * h + t + 1;
          k.put(h * length + t, key);
          v.put(h * length + t, -key);
        }
      }
      keys.add(k);
      values.add(v);
    }
    KvCache cache = new KvCache(INFO);
    cache.appendNew(keys, values, 0, length, length);
    return cache;
  }
}
