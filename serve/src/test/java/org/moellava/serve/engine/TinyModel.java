package org.moellava.serve.engine;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import org.moellava.runtime.ModelInfo;

/** A model shape small enough to write the engine's tensors out by hand. */
final class TinyModel {
  /**
   * V 10, D 2, L 2, Hkv 2, hd 1, context 8, P 1 image token (id 2), eos 1, pad 9 (so padding is visible among
   * the ids), one MoE layer (decoder layer 1) of E 4 experts with k 2, 1 x 1 images (3 floats).
   */
  static final ModelInfo INFO = new ModelInfo(10, 2, 2, 2, 1, 8, 1, 2, 1, 9, List.of(1), 4, 2, 1, "tiny");

  private TinyModel() {}

  static long[] longs(LongBuffer buffer) {
    long[] values = new long[buffer.limit()];
    buffer.get(0, values);
    return values;
  }

  static float[] floats(FloatBuffer buffer) {
    float[] values = new float[buffer.limit()];
    buffer.get(0, values);
    return values;
  }
}
