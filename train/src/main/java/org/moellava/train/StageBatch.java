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
   * Per-slot targets of the vision stage, {@code [B*5]} row-major each.
   *
   * @param shapes 0 for an empty slot, 1 + the shape's ordinal otherwise
   * @param colours the colour's ordinal, -1 for an empty slot
   * @param sizes the size's ordinal, -1 for an empty slot
   */
  public record SlotLabels(int[] shapes, int[] colours, int[] sizes) {}

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
}
