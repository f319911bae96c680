package org.moellava.runtime;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * The outputs of one {@code decoder.onnx} call. Buffers are owned by the backend and stay valid only until
 * its next {@code decode} call (an ONNX Runtime backend may hand out pinned output buffers it reuses); the engine copies
 * what it keeps.
 *
 * @param logits {@code logits}: {@code [B, S, V]}, or {@code [B, 1, V]} for the last position only when
 *     {@code lastPositionOnly} is set (a decoder exported to compute {@code lm_head} on the last position)
 * @param lastPositionOnly whether {@code logits} holds only the last position of each row
 * @param presentKeys {@code present.{i}.key [B, Hkv, pastLength + S, hd]}, one per layer; the new positions
 *     are the last S
 * @param presentValues {@code present.{i}.value [B, Hkv, pastLength + S, hd]}, one per layer
 * @param routerLogits {@code router_logits.{j} [B * S, E]}, one per MoE layer in {@link ModelInfo#moeLayers()}
 *     order; row {@code b * S + s} is position s of row b
 */
public record DecoderOutput(
    FloatBuffer logits,
    boolean lastPositionOnly,
    List<FloatBuffer> presentKeys,
    List<FloatBuffer> presentValues,
    List<FloatBuffer> routerLogits) {

  public DecoderOutput {
    presentKeys = List.copyOf(presentKeys);
    presentValues = List.copyOf(presentValues);
    routerLogits = List.copyOf(routerLogits);
  }

  /** Offset in {@link #logits()} of the logits of the last position of row {@code b}. */
  public int lastLogitsOffset(int b, int seq, int vocab) {
    int positions = lastPositionOnly ? 1 : seq;
    return (b * positions + positions - 1) * vocab;
  }
}
