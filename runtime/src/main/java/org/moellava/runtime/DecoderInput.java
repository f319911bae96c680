package org.moellava.runtime;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;

/**
 * One call of {@code decoder.onnx} (docs/architecture.md §3). Every buffer is direct, native order, position 0,
 * with exactly the elements of its shape (limit = element count) and row-major layout, so that an ONNX
 * Runtime backend wraps each one with {@code OnnxTensor.createTensor} and copies nothing.
 *
 * <p>Rows of a batch may have different past lengths: their pasts are left-padded to {@code pastLength}
 * and the padding is masked with 0 in {@code attentionMask}; position ids are each row's true positions.
 *
 * @param batch B
 * @param seq S, new positions per row
 * @param pastLength the padded past length of the batch (0 on a first prefill)
 * @param inputsEmbeds {@code inputs_embeds [B, S, D]}
 * @param attentionMask {@code attention_mask [B, pastLength + S]}, 1 for real positions, 0 for padding
 * @param positionIds {@code position_ids [B, S]}
 * @param pastKeys {@code past_key_values.{i}.key [B, Hkv, pastLength, hd]}, one per layer
 * @param pastValues {@code past_key_values.{i}.value [B, Hkv, pastLength, hd]}, one per layer
 */
public record DecoderInput(
    int batch,
    int seq,
    int pastLength,
    FloatBuffer inputsEmbeds,
    LongBuffer attentionMask,
    LongBuffer positionIds,
    List<FloatBuffer> pastKeys,
    List<FloatBuffer> pastValues) {

  public DecoderInput {
    pastKeys = List.copyOf(pastKeys);
    pastValues = List.copyOf(pastValues);
    if (pastKeys.size() != pastValues.size()) {
      throw new IllegalArgumentException(
          "past keys (" + pastKeys.size() + ") and values (" + pastValues.size() + ") differ in layer count");
    }
    if (attentionMask.limit() != (long) batch * (pastLength + seq)) {
      throw new IllegalArgumentException("attention_mask holds " + attentionMask.limit() + " elements, shape ["
          + batch + ", " + (pastLength + seq) + "] needs " + (long) batch * (pastLength + seq));
    }
    if (positionIds.limit() != (long) batch * seq) {
      throw new IllegalArgumentException("position_ids holds " + positionIds.limit() + " elements, shape ["
          + batch + ", " + seq + "] needs " + (long) batch * seq);
    }
  }
}
