package org.moellava.data;

import java.util.List;

/**
 * A training or evaluation batch, right padded.
 *
 * @param ids entry ids, one per row
 * @param inputIds {@code [B, S]} token ids, padding = pad_token_id
 * @param attentionMask {@code [B, S]} 1 on real tokens, 0 on padding
 * @param labels {@code [B, S]} answer token ids, -100 elsewhere and on padding
 * @param pixelValues {@code [B, 3, H, W]} flattened row-major; zeros for text-only rows
 * @param hasImage {@code [B]} whether row b holds an image block
 * @param imageSize H = W
 */
public record Batch(List<String> ids, int[][] inputIds, int[][] attentionMask, int[][] labels, float[] pixelValues,
    boolean[] hasImage, int imageSize) {

  /** B. */
  public int batchSize() {
    return inputIds.length;
  }

  /** S. */
  public int sequenceLength() {
    return inputIds.length == 0 ? 0 : inputIds[0].length;
  }

  /** Non-padding tokens in the batch. */
  public int realTokens() {
    int n = 0;
    for (int[] row : attentionMask) {
      for (int m : row) n += m;
    }
    return n;
  }
}
