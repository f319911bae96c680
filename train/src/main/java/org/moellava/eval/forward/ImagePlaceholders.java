package org.moellava.eval.forward;

import org.moellava.error.InvalidInputException;
import org.moellava.tensor.IntTensorValue;

/**
 * MoE-LLaVA's input convention ({@code prepare_inputs_labels_for_multimodal}): {@code input_ids} hold
 * {@value #IMAGE_TOKEN_INDEX} ({@code IMAGE_TOKEN_INDEX}) once per image row, not a vocabulary id; each row's padding
 * (mask 0) is dropped, the placeholder is replaced by the row's P image features (the row grows by P - 1), and the rows
 * are padded again to the longest. Here the expansion is done on ids: the placeholder becomes P copies of the model's
 * image token id, whose positions the embed graph fills with the image features in order, and the rows are
 * left-padded (the published code right-pads; the values at the real positions are the same).
 */
public final class ImagePlaceholders {
  /** MoE-LLaVA's {@code IMAGE_TOKEN_INDEX}. */
  public static final int IMAGE_TOKEN_INDEX = -200;

  private ImagePlaceholders() {}

  /**
   * The expanded, left-padded sequences.
   *
   * @param ids {@code [B, S']} with P image token ids where a row had the placeholder, the pad id on padding
   * @param mask {@code [B, S']} 1 on the real tokens
   * @param rowHasImage which rows had the placeholder
   */
  public record Expanded(IntTensorValue ids, IntTensorValue mask, boolean[] rowHasImage) {}

  /** Whether {@code ids} use the convention (hold the placeholder anywhere). */
  public static boolean uses(IntTensorValue ids) {
    for (int id : ids.data()) {
      if (id == IMAGE_TOKEN_INDEX) return true;
    }
    return false;
  }

  /**
   * Expands {@code ids [B, S]} with {@code mask [B, S]}.
   *
   * @throws InvalidInputException for a row with more than one placeholder or one on a padding position
   */
  public static Expanded expand(IntTensorValue ids, IntTensorValue mask, int numPatches, int imageTokenId, int padId) {
    int b = (int) ids.shape()[0];
    int s = (int) ids.shape()[1];
    int[][] rows = new int[b][];
    boolean[] hasImage = new boolean[b];
    int longest = 0;
    for (int row = 0; row < b; row++) {
      int real = 0;
      int images = 0;
      for (int t = 0; t < s; t++) {
        int id = ids.data()[row * s + t];
        boolean isReal = mask.data()[row * s + t] == 1;
        if (id == IMAGE_TOKEN_INDEX && !isReal) {
          throw new InvalidInputException("input_ids: row " + row + " has the image placeholder " + IMAGE_TOKEN_INDEX
              + " at position " + t + ", where attention_mask is 0");
        }
        if (!isReal) continue;
        real++;
        if (id == IMAGE_TOKEN_INDEX) images++;
      }
      if (images > 1) {
        throw new InvalidInputException("input_ids: row " + row + " holds the image placeholder " + IMAGE_TOKEN_INDEX
            + " " + images + " times; one image per row is supported");
      }
      hasImage[row] = images == 1;
      int[] expanded = new int[real + (hasImage[row] ? numPatches - 1 : 0)];
      int k = 0;
      for (int t = 0; t < s; t++) {
        if (mask.data()[row * s + t] != 1) continue;
        int id = ids.data()[row * s + t];
        if (id == IMAGE_TOKEN_INDEX) {
          for (int p = 0; p < numPatches; p++) expanded[k++] = imageTokenId;
        } else {
          expanded[k++] = id;
        }
      }
      rows[row] = expanded;
      longest = Math.max(longest, expanded.length);
    }
    int[] outIds = new int[b * longest];
    int[] outMask = new int[b * longest];
    for (int row = 0; row < b; row++) {
      int pad = longest - rows[row].length;
      for (int t = 0; t < longest; t++) {
        boolean real = t >= pad;
        outIds[row * longest + t] = real ? rows[row][t - pad] : padId;
        outMask[row * longest + t] = real ? 1 : 0;
      }
    }
    return new Expanded(IntTensorValue.matrix(b, longest, outIds), IntTensorValue.matrix(b, longest, outMask),
        hasImage);
  }
}
