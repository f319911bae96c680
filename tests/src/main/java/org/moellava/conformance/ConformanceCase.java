package org.moellava.conformance;

/**
 * One fixed input: a left-padded batch of prompts, optionally with one image per row, then greedy decoding.
 *
 * @param id a stable name, e.g. {@code synth-b3-s40}
 * @param batch B
 * @param seq S, the padded prompt length
 * @param inputIds {@code [B, S]} row-major, left-padded with the pad id
 * @param attentionMask {@code [B, S]}, 0 on the left padding
 * @param pixelValues {@code [B, 3, H, W]} CLIP-normalised, or null for a text-only case
 * @param decodeSteps tokens decoded one at a time after the prefill
 */
public record ConformanceCase(String id, int batch, int seq, long[] inputIds, long[] attentionMask,
    float[] pixelValues, int decodeSteps) {

  public ConformanceCase {
    if (inputIds.length != batch * seq || attentionMask.length != batch * seq) {
      throw new IllegalArgumentException(id + ": ids/mask must hold " + batch * seq + " elements");
    }
  }

  /** Whether the rows carry images. */
  public boolean hasImage() {
    return pixelValues != null;
  }

  /** Real (unpadded) prompt length of row {@code b}. */
  public int length(int b) {
    int n = 0;
    for (int s = 0; s < seq; s++) n += (int) attentionMask[b * seq + s];
    return n;
  }
}
