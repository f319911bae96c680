package org.moellava.train;

import org.moellava.data.Batch;

/**
 * One micro-batch of a stage.
 *
 * @param batch token ids, mask, labels and pixels (for the vision stage only the pixels are used)
 * @param slotLabels the vision stage's slot labels, null for the language stages
 */
public record StageBatch(Batch batch, SlotLabels slotLabels) {

  /**
   * Targets of the vision stage: per slot {@code [B*5]} and per patch {@code [B*P]}, row-major each.
   *
   * @param shapes 0 for an empty slot, 1 + the shape's ordinal otherwise
   * @param colours the colour's ordinal, -1 for an empty slot
   * @param sizes the size's ordinal, -1 for an empty slot
   * @param patchShapes per patch: 0 for background, 1 + the shape's ordinal of the object shown there
   * @param patchColours per patch: that object's colour ordinal, -1 for background
   * @param patchSizes per patch: that object's size ordinal, -1 for background
   * @param patchPositions per patch: that object's slot ordinal, -1 for background
   */
  public record SlotLabels(int[] shapes, int[] colours, int[] sizes, int[] patchShapes, int[] patchColours,
      int[] patchSizes, int[] patchPositions) {}

  /** Rows. */
  public int rows() {
    return batch.batchSize();
  }

  /**
   * Tokens this micro-batch processes, for tokens/s: the real (non-padding) tokens of a language batch, the
   * patch tokens plus class token of each image in the vision stage.
   */
  public long tokens(int patchesPerImage) {
    return slotLabels == null ? batch.realTokens() : (long) rows() * (patchesPerImage + 1);
  }

  /**
   * What this micro-batch's loss is a mean over: the labelled positions the shifted cross-entropy counts (labels at
   * positions 1.. that are not -100) in a language batch, the images in the vision stage. A distributed run weights
   * the shards' gradients and losses by it, so they combine into the mean over the whole global batch.
   */
  public double lossWeight() {
    if (slotLabels != null) return rows();
    long n = 0;
    for (int[] row : batch.labels()) {
      for (int t = 1; t < row.length; t++) {
        if (row[t] >= 0) n++;
      }
    }
    return n;
  }
}
