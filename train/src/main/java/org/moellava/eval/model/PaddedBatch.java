package org.moellava.eval.model;

import java.util.List;
import org.moellava.tensor.IntTensorValue;

/**
 * Token sequences of different lengths, left-padded into one {@code [B, S]} batch, with the attention mask and the
 * position ids Hugging Face {@code generate} uses: {@code cumsum(mask) - 1} on real tokens, 1 on padding.
 *
 * @param ids {@code [B, S]} token ids, padding filled with the pad id
 * @param mask {@code [B, S]} 1 for real tokens, 0 for padding
 * @param positions {@code [B, S]} position ids
 */
public record PaddedBatch(IntTensorValue ids, IntTensorValue mask, IntTensorValue positions) {

  /** Left-pads {@code sequences} (each at least one token) with {@code padId}. */
  public static PaddedBatch leftPad(List<int[]> sequences, int padId) {
    if (sequences.isEmpty()) throw new IllegalArgumentException("no sequences to batch");
    int b = sequences.size();
    int s = 0;
    for (int[] seq : sequences) {
      if (seq.length == 0) throw new IllegalArgumentException("empty token sequence");
      s = Math.max(s, seq.length);
    }
    int[] ids = new int[b * s];
    int[] mask = new int[b * s];
    java.util.Arrays.fill(ids, padId);
    for (int row = 0; row < b; row++) {
      int[] seq = sequences.get(row);
      int offset = s - seq.length;
      System.arraycopy(seq, 0, ids, row * s + offset, seq.length);
      java.util.Arrays.fill(mask, row * s + offset, row * s + s, 1);
    }
    return of(IntTensorValue.matrix(b, s, ids), IntTensorValue.matrix(b, s, mask));
  }

  /** A batch from given ids and mask (for example a reference file's), with positions {@code cumsum(mask)-1}. */
  public static PaddedBatch of(IntTensorValue ids, IntTensorValue mask) {
    int b = (int) ids.shape()[0];
    int s = (int) ids.shape()[1];
    int[] pos = new int[b * s];
    for (int row = 0; row < b; row++) {
      int seen = 0;
      for (int t = 0; t < s; t++) {
        int m = mask.data()[row * s + t];
        seen += m;
        pos[row * s + t] = m == 0 ? 1 : seen - 1;
      }
    }
    return new PaddedBatch(ids, mask, IntTensorValue.matrix(b, s, pos));
  }

  /** Rows B. */
  public int batch() {
    return (int) ids.shape()[0];
  }

  /** Columns S. */
  public int length() {
    return (int) ids.shape()[1];
  }
}
