package org.moellava.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.pkg.GraphNames;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;

/**
 * Allocation of the direct, native-order buffers that cross the {@link Backend} contract (ONNX Runtime's
 * {@code OnnxTensor.createTensor(env, buffer, shape)} wraps such a buffer without copying it), and the same calls
 * on plain arrays ({@link TensorValue} in, {@link TensorValue} out) for evaluation, export validation and tests:
 * {@link #imageFeatures(Backend, TensorValue)}, {@link #embed(Backend, IntTensorValue, TensorValue)} and
 * {@link #decode(Backend, TensorValue, IntTensorValue, IntTensorValue, KvCache)} check the inputs against the
 * backend's {@link ModelInfo} before any backend runs (shapes; token ids in the vocabulary, 0 or P image tokens per
 * row, a 0/1 attention mask: an {@link InvalidInputException} naming the input), copy them into direct buffers, call
 * the backend and copy its outputs out. The serving engine calls the backend on buffers directly.
 */
public final class Tensors {
  private Tensors() {}

  /** A zeroed direct native-order float buffer of {@code count} elements, position 0, limit count. */
  public static FloatBuffer floats(long count) {
    return ByteBuffer.allocateDirect(byteSize(count, Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** A zeroed direct native-order long buffer of {@code count} elements, position 0, limit count. */
  public static LongBuffer longs(long count) {
    return ByteBuffer.allocateDirect(byteSize(count, Long.BYTES)).order(ByteOrder.nativeOrder()).asLongBuffer();
  }

  /** A direct float buffer holding a copy of {@code values}. */
  public static FloatBuffer floatsOf(float[] values) {
    FloatBuffer buffer = floats(values.length);
    buffer.put(0, values);
    return buffer;
  }

  /** A direct long buffer holding a copy of {@code values}. */
  public static LongBuffer longsOf(long[] values) {
    LongBuffer buffer = longs(values.length);
    buffer.put(0, values);
    return buffer;
  }

  /** A direct long buffer holding {@code values}, widened. */
  public static LongBuffer longsOf(int[] values) {
    LongBuffer buffer = longs(values.length);
    for (int i = 0; i < values.length; i++) buffer.put(i, values[i]);
    return buffer;
  }

  /** The first {@code count} elements of {@code buffer} as a view with position 0 and limit count. */
  public static FloatBuffer view(FloatBuffer buffer, int count) {
    return buffer.duplicate().position(0).limit(count).slice();
  }

  /** The first {@code count} elements of {@code buffer} as a view with position 0 and limit count. */
  public static LongBuffer view(LongBuffer buffer, int count) {
    return buffer.duplicate().position(0).limit(count).slice();
  }

  /** A copy of {@code buffer}'s elements [0, limit) as a tensor of {@code shape}. */
  public static TensorValue toValue(FloatBuffer buffer, long... shape) {
    float[] data = new float[buffer.limit()];
    buffer.get(0, data);
    return new TensorValue(shape.clone(), data);
  }

  private static int byteSize(long count, int width) {
    long bytes = count * width;
    if (count < 0 || bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("buffer of " + count + " elements exceeds 2 GiB");
    }
    return (int) bytes;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The backend calls on arrays

  /** A decoder's key and value cache as arrays: per layer {@code [B, Hkv, T, hd]} each. */
  public record KvCache(List<TensorValue> keys, List<TensorValue> values) {
    public KvCache {
      keys = List.copyOf(keys);
      values = List.copyOf(values);
      if (keys.size() != values.size()) {
        throw new IllegalArgumentException("cache keys (" + keys.size() + ") and values (" + values.size()
            + ") differ in layer count");
      }
    }

    /** An empty cache (past length 0) of {@code batch} rows for the model {@code info} describes. */
    public static KvCache empty(ModelInfo info, int batch) {
      List<TensorValue> empty = new ArrayList<>();
      for (int i = 0; i < info.numLayers(); i++) {
        empty.add(new TensorValue(new long[] {batch, info.numKeyValueHeads(), 0, info.headDim()}, new float[0]));
      }
      return new KvCache(empty, empty);
    }

    /** The cached sequence length T. */
    public long length() {
      return keys.isEmpty() ? 0 : keys.get(0).shape()[2];
    }
  }

  /**
   * One decoder pass as arrays.
   *
   * @param logits {@code [B, S, V]}
   * @param present the cache including the new positions
   * @param routerLogits per MoE layer (decoder layer index, ascending) {@code [B * S, E]}
   */
  public record Decoded(TensorValue logits, KvCache present, Map<Integer, TensorValue> routerLogits) {}

  /** {@link Backend#imageFeatures}: {@code pixel_values [B, 3, H, W]} to {@code image_features [B, P, D]}. */
  public static TensorValue imageFeatures(Backend backend, TensorValue pixelValues) {
    ModelInfo info = backend.info();
    int size = info.imageSize();
    long[] s = pixelValues.shape();
    if (s.length != 4 || s[0] < 1 || s[1] != 3 || s[2] != size || s[3] != size) {
      throw new InvalidInputException("pixel_values: expected shape [B, 3, " + size + ", " + size + "] (image size "
          + size + "), got " + pixelValues.shapeText());
    }
    int b = Math.toIntExact(s[0]);
    FloatBuffer out = backend.imageFeatures(floatsOf(pixelValues.data()), b);
    return toValue(out, b, info.numImageTokens(), info.hiddenSize());
  }

  /**
   * {@link Backend#embed}: {@code input_ids [B, S]} and {@code image_features [B, P, D]} (or null when no row holds
   * image tokens) to {@code inputs_embeds [B, S, D]}.
   */
  public static TensorValue embed(Backend backend, IntTensorValue inputIds, TensorValue imageFeatures) {
    ModelInfo info = backend.info();
    long[] s = inputIds.shape();
    if (s.length != 2 || s[0] < 1) {
      throw new InvalidInputException(GraphNames.INPUT_IDS + ": expected shape [B, S] with B >= 1, got "
          + inputIds.shapeText());
    }
    int b = Math.toIntExact(s[0]);
    int seq = Math.toIntExact(s[1]);
    int[] ids = inputIds.data();
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= info.vocabSize()) {
        throw new InvalidInputException(GraphNames.INPUT_IDS + ": id " + ids[i] + " at flat index " + i
            + " is outside the vocabulary [0, " + info.vocabSize() + ") of shape " + inputIds.shapeText());
      }
    }
    if (imageFeatures != null) {
      shape(GraphNames.IMAGE_FEATURES, imageFeatures.shape(), b, info.numImageTokens(), info.hiddenSize());
    }
    for (int row = 0; row < b; row++) {
      int count = 0;
      for (int t = 0; t < seq; t++) if (ids[row * seq + t] == info.imageTokenId()) count++;
      if (count != 0 && count != info.numImageTokens()) {
        throw new InvalidInputException(GraphNames.INPUT_IDS + ": row " + row + " has " + count + " image tokens (id "
            + info.imageTokenId() + "), expected 0 or P=" + info.numImageTokens());
      }
    }
    FloatBuffer out = backend.embed(longsOf(inputIds.data()), b, seq,
        imageFeatures == null ? null : floatsOf(imageFeatures.data()));
    return toValue(out, b, seq, info.hiddenSize());
  }

  /**
   * {@link Backend#decode}: one decoder pass over {@code S} new positions.
   *
   * @param inputsEmbeds {@code [B, S, D]}
   * @param attentionMask {@code [B, past + S]}
   * @param positionIds {@code [B, S]}
   * @param past the cache of the previous pass, or {@link KvCache#empty}
   * @throws IllegalStateException when the backend returns the logits of the last position only and S > 1
   */
  public static Decoded decode(Backend backend, TensorValue inputsEmbeds, IntTensorValue attentionMask,
      IntTensorValue positionIds, KvCache past) {
    ModelInfo info = backend.info();
    long[] es = inputsEmbeds.shape();
    if (es.length != 3 || es[0] < 1 || es[2] != info.hiddenSize()) {
      throw new InvalidInputException(GraphNames.INPUTS_EMBEDS + ": expected shape [B, S, " + info.hiddenSize()
          + "], got " + inputsEmbeds.shapeText());
    }
    int b = Math.toIntExact(es[0]);
    int s = Math.toIntExact(es[1]);
    int pastLength = Math.toIntExact(past.length());
    if (past.keys().size() != info.numLayers()) {
      throw new InvalidInputException("past_key_values: expected " + info.numLayers() + " layers, got "
          + past.keys().size());
    }
    List<FloatBuffer> keys = new ArrayList<>();
    List<FloatBuffer> values = new ArrayList<>();
    for (int i = 0; i < info.numLayers(); i++) {
      long[] expected = {b, info.numKeyValueHeads(), pastLength, info.headDim()};
      shape(GraphNames.pastKey(i), past.keys().get(i).shape(), expected);
      shape(GraphNames.pastValue(i), past.values().get(i).shape(), expected);
      keys.add(floatsOf(past.keys().get(i).data()));
      values.add(floatsOf(past.values().get(i).data()));
    }
    shape(GraphNames.ATTENTION_MASK, attentionMask.shape(), b, pastLength + s);
    for (int v : attentionMask.data()) {
      if (v != 0 && v != 1) {
        throw new InvalidInputException(GraphNames.ATTENTION_MASK + ": values must be 0 or 1, got " + v);
      }
    }
    shape(GraphNames.POSITION_IDS, positionIds.shape(), b, s);
    DecoderOutput out = backend.decode(new DecoderInput(b, s, pastLength, floatsOf(inputsEmbeds.data()),
        longsOf(attentionMask.data()), longsOf(positionIds.data()), keys, values));
    if (out.lastPositionOnly() && s > 1) {
      throw new IllegalStateException(backend.name() + " returns logits of the last position only");
    }
    TensorValue logits = toValue(out.logits(), b, s, info.vocabSize());
    long[] cacheShape = {b, info.numKeyValueHeads(), pastLength + s, info.headDim()};
    List<TensorValue> presentKeys = new ArrayList<>();
    List<TensorValue> presentValues = new ArrayList<>();
    for (int i = 0; i < out.presentKeys().size(); i++) {
      presentKeys.add(toValue(out.presentKeys().get(i), cacheShape));
      presentValues.add(toValue(out.presentValues().get(i), cacheShape));
    }
    Map<Integer, TensorValue> routers = new LinkedHashMap<>();
    for (int j = 0; j < info.moeLayers().size(); j++) {
      routers.put(info.moeLayers().get(j), toValue(out.routerLogits().get(j), (long) b * s, info.numExperts()));
    }
    return new Decoded(logits, new KvCache(presentKeys, presentValues), routers);
  }

  private static void shape(String name, long[] actual, long... expected) {
    if (!Arrays.equals(actual, expected)) {
      throw new InvalidInputException(name + ": expected shape " + Arrays.toString(expected) + ", got "
          + Arrays.toString(actual));
    }
  }
}
