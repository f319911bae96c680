package org.moellava.data;

/**
 * One conversation as model input.
 *
 * @param id the entry id
 * @param inputIds token ids with the image placeholder expanded to P copies of image_token_index
 * @param labels {@code labels[t] = inputIds[t]} on answer tokens, -100 elsewhere (the loss shifts by one, as
 *     in Hugging Face)
 * @param hasImage whether the sequence holds an image block
 * @param truncated whether tokens past the maximum length were dropped
 */
public record TokenizedSample(String id, int[] inputIds, int[] labels, boolean hasImage, boolean truncated) {
  /** Label value of positions that carry no loss. */
  public static final int IGNORE = -100;

  /** Sequence length. */
  public int length() {
    return inputIds.length;
  }

  /** Number of positions with a label. */
  public int labelledTokens() {
    int n = 0;
    for (int l : labels) {
      if (l != IGNORE) n++;
    }
    return n;
  }
}
