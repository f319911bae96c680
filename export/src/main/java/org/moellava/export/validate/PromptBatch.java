package org.moellava.export.validate;

import java.util.SplittableRandom;
import org.moellava.config.ModelConfig;
import org.moellava.tensor.IntTensorValue;

/**
 * A left-padded batch of seeded random prompts: {@code input_ids, attention_mask, position_ids [B, S]}. Rows with
 * an image hold P image tokens after one text token; padding has id {@code pad_token_id} and mask 0; positions
 * are {@code max(cumsum(mask) - 1, 0)} as Hugging Face computes them for left padding.
 */
public record PromptBatch(IntTensorValue inputIds, IntTensorValue attentionMask, IntTensorValue positionIds) {

  /**
   * @param lengths real length of each row (the longest sets S)
   * @param withImage whether rows hold the P image tokens (each length must then be at least P + 1)
   */
  public static PromptBatch random(ModelConfig config, int[] lengths, boolean withImage, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int seq = 0;
    for (int l : lengths) seq = Math.max(seq, l);
    int batch = lengths.length;
    int p = config.visionConfig().numPatches();
    int vocab = config.textConfig().vocabSize();
    int imageToken = config.imageTokenIndex();
    int[] ids = new int[batch * seq];
    int[] mask = new int[batch * seq];
    for (int b = 0; b < batch; b++) {
      int pad = seq - lengths[b];
      if (withImage && lengths[b] < p + 1) {
        throw new IllegalArgumentException("row " + b + " of length " + lengths[b] + " cannot hold P=" + p + " image tokens");
      }
      for (int s = 0; s < seq; s++) {
        int i = b * seq + s;
        if (s < pad) {
          ids[i] = config.textConfig().padTokenId();
          continue;
        }
        mask[i] = 1;
        int r = s - pad;
        ids[i] = withImage && r >= 1 && r <= p ? imageToken : textToken(rnd, vocab, imageToken);
      }
    }
    return new PromptBatch(IntTensorValue.matrix(batch, seq, ids), IntTensorValue.matrix(batch, seq, mask),
        IntTensorValue.matrix(batch, seq, positions(mask, batch, seq, 0)));
  }

  /** {@code max(cumsum(mask) - 1, 0) + offset} per row, for {@code mask [batch, seq]}. */
  public static int[] positions(int[] mask, int batch, int seq, int offset) {
    int[] pos = new int[batch * seq];
    for (int b = 0; b < batch; b++) {
      int sum = 0;
      for (int s = 0; s < seq; s++) {
        sum += mask[b * seq + s];
        pos[b * seq + s] = Math.max(sum - 1, 0) + offset;
      }
    }
    return pos;
  }

  private static int textToken(SplittableRandom rnd, int vocab, int imageToken) {
    int t;
    do {
      t = rnd.nextInt(vocab);
    } while (t == imageToken);
    return t;
  }
}
