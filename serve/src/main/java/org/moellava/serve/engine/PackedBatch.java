package org.moellava.serve.engine;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import org.moellava.runtime.DecoderInput;

/**
 * The token-side inputs of one decoder call, packed by {@link BatchInputs}; the buffers are views of its reused
 * stores and stay valid until it packs the next batch.
 *
 * @param batch B
 * @param seq S, new positions per row (the longest prompt in a prefill, 1 in a decode step)
 * @param past the padded past length (0 in a prefill)
 * @param ids {@code input_ids [B, S]}, left-padded with the pad token
 * @param mask {@code attention_mask [B, past + S]}, 0 on the left padding
 * @param positions {@code position_ids [B, S]}, each row's own positions (0 on padding)
 * @param pastKeys {@code past_key_values.{i}.key [B, Hkv, past, hd]}, one per layer
 * @param pastValues {@code past_key_values.{i}.value [B, Hkv, past, hd]}, one per layer
 */
record PackedBatch(
    int batch,
    int seq,
    int past,
    LongBuffer ids,
    LongBuffer mask,
    LongBuffer positions,
    List<FloatBuffer> pastKeys,
    List<FloatBuffer> pastValues) {

  /** The decoder input over {@code embeds [B, S, D]}, the embedding of {@link #ids()}. */
  DecoderInput decoderInput(FloatBuffer embeds) {
    return new DecoderInput(batch, seq, past, embeds, mask, positions, pastKeys, pastValues);
  }
}
