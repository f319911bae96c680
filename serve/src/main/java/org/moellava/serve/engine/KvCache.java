package org.moellava.serve.engine;

import java.nio.FloatBuffer;
import java.util.List;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;

/**
 * The key/value cache of one sequence slot, preallocated once to the model's max context:
 * per layer one key and one value buffer {@code [Hkv, maxContext, hd]} (direct, native order). Generating a
 * token never reallocates; a finished or cancelled sequence gives its slot back and the next one reuses it.
 *
 * <p>Copies that remain, per decoder call: (1) only the S new positions of {@code present.{i}} are copied
 * in ({@link #appendNew}); (2) the cached positions are copied into the batch's contiguous
 * {@code past_key_values} input ({@link #copyPastInto}), because a batch tensor {@code [B, Hkv, past, hd]}
 * cannot alias per-sequence buffers and ONNX Runtime's Java API has no IoBinding or past/present buffer
 * sharing.
 */
final class KvCache {
  private final int numLayers;
  private final int heads;
  private final int headDim;
  private final int capacity;
  private final FloatBuffer[] keys;
  private final FloatBuffer[] values;
  private int length;

  KvCache(ModelInfo info) {
    this.numLayers = info.numLayers();
    this.heads = info.numKeyValueHeads();
    this.headDim = info.headDim();
    this.capacity = info.maxContext();
    this.keys = new FloatBuffer[numLayers];
    this.values = new FloatBuffer[numLayers];
    long perLayer = (long) heads * capacity * headDim;
    for (int layer = 0; layer < numLayers; layer++) {
      keys[layer] = Tensors.floats(perLayer);
      values[layer] = Tensors.floats(perLayer);
    }
  }

  /** Cached positions. */
  int length() {
    return length;
  }

  /** Positions this slot can hold. */
  int capacity() {
    return capacity;
  }

  /** Empties the slot for a new sequence (the buffers stay). */
  void reset() {
    length = 0;
  }

  /**
   * Appends the last {@code newPositions} positions of row {@code row} of the present tensors
   * {@code [B, Hkv, presentLength, hd]}.
   */
  void appendNew(List<FloatBuffer> presentKeys, List<FloatBuffer> presentValues, int row, int presentLength,
      int newPositions) {
    if (length + newPositions > capacity) {
      throw new IllegalStateException(
          "KV cache overflow: " + length + " + " + newPositions + " positions exceed the context " + capacity);
    }
    for (int layer = 0; layer < numLayers; layer++) {
      for (int h = 0; h < heads; h++) {
        int src = ((row * heads + h) * presentLength + presentLength - newPositions) * headDim; // [B,Hkv,T,hd]
        int dst = (h * capacity + length) * headDim; // [Hkv, capacity, hd]
        keys[layer].put(dst, presentKeys.get(layer), src, newPositions * headDim);
        values[layer].put(dst, presentValues.get(layer), src, newPositions * headDim);
      }
    }
    length += newPositions;
  }

  /**
   * Writes this sequence's past right-aligned into row {@code row} of {@code [B, Hkv, pastLength, hd]}
   * buffers (one per layer), zeroing the left padding.
   */
  void copyPastInto(FloatBuffer[] pastKeys, FloatBuffer[] pastValues, int row, int pastLength) {
    int padding = pastLength - length;
    for (int layer = 0; layer < numLayers; layer++) {
      for (int h = 0; h < heads; h++) {
        int rowStart = (row * heads + h) * pastLength * headDim; // [B, Hkv, past, hd]
        for (int i = 0; i < padding * headDim; i++) {
          pastKeys[layer].put(rowStart + i, 0f);
          pastValues[layer].put(rowStart + i, 0f);
        }
        int src = h * capacity * headDim;
        pastKeys[layer].put(rowStart + padding * headDim, keys[layer], src, length * headDim);
        pastValues[layer].put(rowStart + padding * headDim, values[layer], src, length * headDim);
      }
    }
  }

  /** A copy of positions {@code [start, start + count)}: per layer keys and values {@code [Hkv, count, hd]}. */
  PrefixCache.Block copyBlock(int start, int count) {
    if (start + count > length) {
      throw new IllegalStateException("positions " + start + ".." + (start + count) + " are not cached (" + length
          + " are)");
    }
    float[][] blockKeys = new float[numLayers][heads * count * headDim];
    float[][] blockValues = new float[numLayers][heads * count * headDim];
    for (int layer = 0; layer < numLayers; layer++) {
      for (int h = 0; h < heads; h++) {
        int src = (h * capacity + start) * headDim; // [Hkv, capacity, hd]
        keys[layer].get(src, blockKeys[layer], h * count * headDim, count * headDim);
        values[layer].get(src, blockValues[layer], h * count * headDim, count * headDim);
      }
    }
    return new PrefixCache.Block(blockKeys, blockValues);
  }

  /** Appends {@code blocks} (each {@link PrefixCache#BLOCK_TOKENS} positions) after the cached positions. */
  void append(java.util.List<PrefixCache.Block> blocks) {
    int count = PrefixCache.BLOCK_TOKENS;
    if (length + (long) blocks.size() * count > capacity) {
      throw new IllegalStateException("KV cache overflow: " + length + " + " + blocks.size() * count
          + " positions exceed the context " + capacity);
    }
    for (PrefixCache.Block block : blocks) {
      for (int layer = 0; layer < numLayers; layer++) {
        for (int h = 0; h < heads; h++) {
          int dst = (h * capacity + length) * headDim; // [Hkv, capacity, hd]
          keys[layer].put(dst, block.keys()[layer], h * count * headDim, count * headDim);
          values[layer].put(dst, block.values()[layer], h * count * headDim, count * headDim);
        }
      }
      length += count;
    }
  }
}
