package org.moellava.serve.engine;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;

/**
 * Packs the inputs of batched decoder calls into reused direct buffers, grown (doubling) when a batch needs
 * more and never shrunk. Rows are left-padded: a prefill pads prompts to the longest, a decode step pads the
 * pasts to the longest; padding is masked with 0 and every row keeps its own position ids, so a row's result
 * does not depend on what else is in the batch.
 *
 * <p>Each call overwrites the previous call's buffers: what it returns is valid until the next call. Scheduler
 * thread only.
 */
final class BatchInputs {
  private final ModelInfo info;
  private final List<FloatBuffer> emptyPast;
  private final FloatBuffer[] pastKeyStore;
  private final FloatBuffer[] pastValueStore;
  private LongBuffer idStore = Tensors.longs(0);
  private LongBuffer maskStore = Tensors.longs(0);
  private LongBuffer positionStore = Tensors.longs(0);
  private FloatBuffer pixelStore = Tensors.floats(0);
  private FloatBuffer featureStore = Tensors.floats(0);

  BatchInputs(ModelInfo info) {
    this.info = info;
    this.emptyPast = Collections.nCopies(info.numLayers(), Tensors.floats(0));
    this.pastKeyStore = new FloatBuffer[info.numLayers()];
    this.pastValueStore = new FloatBuffer[info.numLayers()];
    for (int layer = 0; layer < info.numLayers(); layer++) {
      pastKeyStore[layer] = Tensors.floats(0);
      pastValueStore[layer] = Tensors.floats(0);
    }
  }

  /**
   * A prefill batch: the prompts left-padded to the longest, S; ids, mask and positions {@code [B, S]}, no past.
   * A padded slot holds the pad token, mask 0 and position 0; the real tokens of a row sit at positions 0, 1, ...
   */
  PackedBatch prompts(List<int[]> prompts) {
    int n = prompts.size();
    int seq = 0;
    for (int[] prompt : prompts) {
      seq = Math.max(seq, prompt.length);
    }
    idStore = grow(idStore, (long) n * seq);
    maskStore = grow(maskStore, (long) n * seq);
    positionStore = grow(positionStore, (long) n * seq);
    for (int b = 0; b < n; b++) {
      int[] prompt = prompts.get(b);
      int padding = seq - prompt.length;
      for (int t = 0; t < seq; t++) { // [B, S], left padding
        boolean real = t >= padding;
        idStore.put(b * seq + t, real ? prompt[t - padding] : info.padTokenId());
        maskStore.put(b * seq + t, real ? 1 : 0);
        positionStore.put(b * seq + t, real ? t - padding : 0);
      }
    }
    return new PackedBatch(n, seq, 0, Tensors.view(idStore, n * seq), Tensors.view(maskStore, n * seq),
        Tensors.view(positionStore, n * seq), emptyPast, emptyPast);
  }

  /**
   * A decode step: row b feeds {@code lastTokens[b]} ({@code [B, 1]}) at position {@code caches.get(b).length()}
   * over its cached past; see {@link #continuation}.
   */
  PackedBatch step(int[] lastTokens, List<KvCache> caches) {
    List<int[]> tokens = new ArrayList<>(lastTokens.length);
    for (int token : lastTokens) {
      tokens.add(new int[] {token});
    }
    return continuation(tokens, caches);
  }

  /**
   * New tokens over cached pasts (a decode step, or a prompt's rest after a prefix-cache hit): row b feeds
   * {@code tokens.get(b)}, S tokens for every row, at positions {@code caches.get(b).length()}, ... The pasts, of
   * different lengths, are copied right-aligned into {@code [B, Hkv, past, hd]} with past the longest, and the
   * mask {@code [B, past + S]} is 0 on each row's left padding: the backend contract's layout (padding only on
   * the left), which rows with different numbers of new tokens could not keep.
   *
   * @throws IllegalArgumentException if the rows feed different numbers of tokens
   */
  PackedBatch continuation(List<int[]> tokens, List<KvCache> caches) {
    int n = caches.size();
    int past = 0;
    int seq = 0;
    for (int b = 0; b < n; b++) {
      past = Math.max(past, caches.get(b).length());
      seq = Math.max(seq, tokens.get(b).length);
    }
    for (int[] row : tokens) {
      if (row.length != seq) {
        throw new IllegalArgumentException("every row of a continuation feeds the same number of tokens; got "
            + row.length + " and " + seq);
      }
    }
    int total = past + seq;
    idStore = grow(idStore, (long) n * seq);
    maskStore = grow(maskStore, (long) n * total);
    positionStore = grow(positionStore, (long) n * seq);
    long pastElements = (long) n * info.kvWidth() * past; // [B, Hkv, past, hd]
    for (int layer = 0; layer < info.numLayers(); layer++) {
      pastKeyStore[layer] = grow(pastKeyStore[layer], pastElements);
      pastValueStore[layer] = grow(pastValueStore[layer], pastElements);
    }
    for (int b = 0; b < n; b++) {
      KvCache cache = caches.get(b);
      int length = cache.length();
      int[] row = tokens.get(b);
      for (int t = 0; t < seq; t++) { // [B, S]
        idStore.put(b * seq + t, row[t]);
        positionStore.put(b * seq + t, length + t);
      }
      for (int t = 0; t < total; t++) {
        maskStore.put(b * total + t, t < past - length ? 0 : 1); // [B, past + S], left padding
      }
      cache.copyPastInto(pastKeyStore, pastValueStore, b, past);
    }
    List<FloatBuffer> pastKeys = new ArrayList<>(info.numLayers());
    List<FloatBuffer> pastValues = new ArrayList<>(info.numLayers());
    for (int layer = 0; layer < info.numLayers(); layer++) {
      pastKeys.add(Tensors.view(pastKeyStore[layer], (int) pastElements));
      pastValues.add(Tensors.view(pastValueStore[layer], (int) pastElements));
    }
    return new PackedBatch(n, seq, past, Tensors.view(idStore, n * seq), Tensors.view(maskStore, n * total),
        Tensors.view(positionStore, n * seq), pastKeys, pastValues);
  }

  /** The images of the rows that have one ({@code null}: none), in row order: {@code pixel_values [I, 3, H, W]}. */
  FloatBuffer pixels(List<float[]> rowPixels) {
    int plane = 3 * info.imageSize() * info.imageSize();
    int images = imageCount(rowPixels);
    pixelStore = grow(pixelStore, (long) images * plane);
    int at = 0;
    for (float[] pixels : rowPixels) {
      if (pixels != null) {
        pixelStore.put(at * plane, pixels);
        at++;
      }
    }
    return Tensors.view(pixelStore, images * plane);
  }

  /**
   * The image features of every row, {@code [B, P, D]}, from {@code computed [I, P, D]} of the rows that have
   * an image (in row order); rows without one get zeros (their prompts hold no image token, so the embedding
   * ignores them). Returns {@code computed} itself when every row has an image.
   */
  FloatBuffer features(List<float[]> rowPixels, FloatBuffer computed) {
    int rows = rowPixels.size();
    if (imageCount(rowPixels) == rows) {
      return computed;
    }
    long perImage = (long) info.numImageTokens() * info.hiddenSize(); // [P, D]
    featureStore = grow(featureStore, rows * perImage);
    int image = 0;
    for (int b = 0; b < rows; b++) {
      int row = (int) (b * perImage);
      if (rowPixels.get(b) != null) {
        featureStore.put(row, computed, (int) (image++ * perImage), (int) perImage);
      } else {
        for (int i = 0; i < perImage; i++) {
          featureStore.put(row + i, 0f);
        }
      }
    }
    return Tensors.view(featureStore, (int) (rows * perImage));
  }

  /** Rows that have an image. */
  static int imageCount(List<float[]> rowPixels) {
    int images = 0;
    for (float[] pixels : rowPixels) {
      if (pixels != null) {
        images++;
      }
    }
    return images;
  }

  private static FloatBuffer grow(FloatBuffer store, long count) {
    return store.capacity() >= count ? store : Tensors.floats(Math.max(count, 2L * store.capacity()));
  }

  private static LongBuffer grow(LongBuffer store, long count) {
    return store.capacity() >= count ? store : Tensors.longs(Math.max(count, 2L * store.capacity()));
  }
}
