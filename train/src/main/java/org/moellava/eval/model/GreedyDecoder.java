package org.moellava.eval.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;

/**
 * Greedy decoding through a {@link Backend} with the KV cache, several sequences at once: one prefill over the
 * left-padded prompts, then one decoder pass per new token (append the argmax, ties to the lower id), the mask
 * growing by one column and each row's position by one. A row stops at eos (not included in its output); the
 * batch stops when every row has stopped or after {@code maxNewTokens}. Stopped rows are fed the pad id, which
 * no other row can see.
 */
public final class GreedyDecoder {
  private final Backend backend;
  private final ModelInfo info;

  /** Decodes on {@code backend}, which the caller keeps and closes. */
  public GreedyDecoder(Backend backend) {
    this.backend = backend;
    this.info = backend.info();
  }

  /**
   * Image features {@code [B, P, D]} for a batch where row {@code i} has the preprocessed image {@code pixels[i]}
   * ({@code 3*H*W} floats) or null (text only: zeros, which the embed graph never reads for a row without image
   * tokens). The vision graph runs only over the rows that have an image.
   */
  public TensorValue imageFeatures(List<float[]> pixels) {
    int b = pixels.size();
    int p = info.numImageTokens();
    int d = info.hiddenSize();
    int size = info.imageSize();
    int per = 3 * size * size;
    List<Integer> rows = new ArrayList<>();
    for (int i = 0; i < b; i++) if (pixels.get(i) != null) rows.add(i);
    float[] out = new float[b * p * d];
    if (!rows.isEmpty()) {
      float[] in = new float[rows.size() * per];
      for (int k = 0; k < rows.size(); k++) System.arraycopy(pixels.get(rows.get(k)), 0, in, k * per, per);
      TensorValue features = Tensors.imageFeatures(backend, new TensorValue(new long[] {rows.size(), 3, size, size},
          in));
      for (int k = 0; k < rows.size(); k++) {
        System.arraycopy(features.data(), k * p * d, out, rows.get(k) * p * d, p * d);
      }
    }
    return new TensorValue(new long[] {b, p, d}, out);
  }

  /** Greedy continuations of left-padded prompts: one prefill and up to {@code maxNewTokens} steps. */
  public List<int[]> generate(PaddedBatch batch, TensorValue imageFeatures, int maxNewTokens, int eosId) {
    Tensors.Decoded prefill = prefill(batch, imageFeatures);
    return continueGreedy(batch, prefill, maxNewTokens, eosId);
  }

  /** The prefill pass: embed the prompts (image features spliced in) and run the decoder with an empty cache. */
  public Tensors.Decoded prefill(PaddedBatch batch, TensorValue imageFeatures) {
    TensorValue embeds = Tensors.embed(backend, batch.ids(), imageFeatures); // [B, S, D]
    return Tensors.decode(backend, embeds, batch.mask(), batch.positions(),
        Tensors.KvCache.empty(info, batch.batch()));
  }

  /**
   * Greedy steps after {@code prefill}. {@code eosId < 0} never stops early (exactly {@code maxNewTokens} tokens
   * per row, as transformers' {@code generate} without an eos token).
   */
  public List<int[]> continueGreedy(PaddedBatch batch, Tensors.Decoded prefill, int maxNewTokens, int eosId) {
    int b = batch.batch();
    int s = batch.length();
    int v = info.vocabSize();
    int padId = info.padTokenId();
    int[][] tokens = new int[b][maxNewTokens];
    int[] produced = new int[b];
    boolean[] done = new boolean[b];
    int[] nextPos = new int[b];
    for (int row = 0; row < b; row++) nextPos[row] = batch.positions().data()[row * s + s - 1] + 1;
    int[] mask = batch.mask().data();
    int length = s;
    Tensors.Decoded last = prefill;
    TensorValue noImage = TensorValue.filled(0f, b, info.numImageTokens(), info.hiddenSize());
    for (int step = 0; step < maxNewTokens; step++) {
      int[] next = new int[b];
      int lastCol = (int) last.logits().shape()[1] - 1;
      for (int row = 0; row < b; row++) {
        if (done[row]) {
          next[row] = padId;
          continue;
        }
        int token = argmax(last.logits().data(), (row * (lastCol + 1) + lastCol) * v, v);
        if (token == eosId) {
          done[row] = true;
          next[row] = padId;
        } else {
          tokens[row][produced[row]++] = token;
          next[row] = token;
        }
      }
      if (step == maxNewTokens - 1 || allDone(done)) break;
      int[] grown = new int[b * (length + 1)];
      for (int row = 0; row < b; row++) {
        System.arraycopy(mask, row * length, grown, row * (length + 1), length);
        grown[row * (length + 1) + length] = 1;
      }
      mask = grown;
      length++;
      TensorValue embeds = Tensors.embed(backend, IntTensorValue.matrix(b, 1, next), noImage); // [B, 1, D]
      last = Tensors.decode(backend, embeds, IntTensorValue.matrix(b, length, mask),
          IntTensorValue.matrix(b, 1, nextPos.clone()), last.present());
      for (int row = 0; row < b; row++) nextPos[row]++;
    }
    List<int[]> out = new ArrayList<>(b);
    for (int row = 0; row < b; row++) out.add(Arrays.copyOf(tokens[row], produced[row]));
    return out;
  }

  /** Index of the largest of {@code data[offset .. offset+n)}; ties go to the lower index. */
  static int argmax(float[] data, int offset, int n) {
    int best = 0;
    for (int j = 1; j < n; j++) if (data[offset + j] > data[offset + best]) best = j;
    return best;
  }

  private static boolean allDone(boolean[] done) {
    for (boolean d : done) if (!d) return false;
    return true;
  }
}
