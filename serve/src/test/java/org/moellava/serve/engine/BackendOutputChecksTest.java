package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.moellava.serve.engine.TinyModel.INFO;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.Tensors;

/**
 * A backend output of the wrong size is rejected with a message naming the tensor. Shapes for B 3, S 2, past 4
 * of the tiny model (V 10, L 2, Hkv 2, hd 1, one MoE layer of E 4): logits [3, 2, 10] = 60, present
 * [3, 2, 6, 1] = 36, router logits [6, 4] = 24.
 */
class BackendOutputChecksTest {
  private static final int B = 3;
  private static final int S = 2;
  private static final int PAST = 4;
  private final BackendOutputChecks checks = new BackendOutputChecks(INFO, "tiny-backend");

  @Test
  void outputsOfTheRightSizesPass() {
    assertDoesNotThrow(() -> checks.decoderOutput(output(60, 36, 36, 24), B, S, PAST));
    assertDoesNotThrow(() -> checks.decoderOutput(lastPositionOnly(30), B, S, PAST)); // logits [3, 1, 10]
    assertDoesNotThrow(() -> checks.embeds(Tensors.floats(12), B, S)); // [3, 2, 2]
    assertDoesNotThrow(() -> checks.imageFeatures(Tensors.floats(4), 2)); // [2, 1, 2]
  }

  @Test
  void wrongSizedLogitsAreRejected() {
    assertRejected("backend tiny-backend returned logits with 59 elements, expected 60",
        () -> checks.decoderOutput(output(59, 36, 36, 24), B, S, PAST));
    assertRejected("backend tiny-backend returned logits with 60 elements, expected 30",
        () -> checks.decoderOutput(lastPositionOnly(60), B, S, PAST));
  }

  @Test
  void wrongSizedPresentsAreRejectedByName() {
    assertRejected("backend tiny-backend returned present.0.key with 35 elements, expected 36",
        () -> checks.decoderOutput(output(60, 35, 36, 24), B, S, PAST));
    assertRejected("backend tiny-backend returned present.1.value with 37 elements, expected 36",
        () -> checks.decoderOutput(output(60, 36, 37, 24), B, S, PAST));
    assertRejected("backend tiny-backend returned present.0.key with 36 elements, expected 42",
        () -> checks.decoderOutput(output(60, 36, 36, 24), B, S, PAST + 1));
    DecoderOutput oneLayer = new DecoderOutput(Tensors.floats(60), false, List.of(Tensors.floats(36)),
        List.of(Tensors.floats(36), Tensors.floats(36)), List.of(Tensors.floats(24)));
    assertRejected("backend tiny-backend returned 1 present keys and 2 values, expected 2",
        () -> checks.decoderOutput(oneLayer, B, S, PAST));
  }

  @Test
  void wrongSizedOrMissingRouterLogitsAreRejectedByName() {
    assertRejected("backend tiny-backend returned router_logits.0 with 23 elements, expected 24",
        () -> checks.decoderOutput(output(60, 36, 36, 23), B, S, PAST));
    DecoderOutput noRouter = new DecoderOutput(Tensors.floats(60), false,
        List.of(Tensors.floats(36), Tensors.floats(36)), List.of(Tensors.floats(36), Tensors.floats(36)), List.of());
    assertRejected("backend tiny-backend returned 0 router logits, expected one per MoE layer: 1",
        () -> checks.decoderOutput(noRouter, B, S, PAST));
  }

  @Test
  void wrongSizedEmbeddingsAndImageFeaturesAreRejectedByName() {
    assertRejected("backend tiny-backend returned inputs_embeds with 10 elements, expected 12",
        () -> checks.embeds(Tensors.floats(10), B, S));
    assertRejected("backend tiny-backend returned image_features with no buffer, expected 4",
        () -> checks.imageFeatures(null, 2));
  }

  /** Only sizes are checked, as before the split: the sampler skips NaN logits itself. */
  @Test
  void valuesAreNotChecked() {
    DecoderOutput out = output(60, 36, 36, 24);
    out.logits().put(7, Float.NaN);
    out.presentKeys().get(0).put(0, Float.POSITIVE_INFINITY);
    assertDoesNotThrow(() -> checks.decoderOutput(out, B, S, PAST));
  }

  /** Full logits; the given element counts for logits, present.0.key, present.1.value and router_logits.0. */
  private static DecoderOutput output(int logits, int key0, int value1, int router) {
    return new DecoderOutput(Tensors.floats(logits), false, List.of(Tensors.floats(key0), Tensors.floats(36)),
        List.of(Tensors.floats(36), Tensors.floats(value1)), List.of(Tensors.floats(router)));
  }

  private static DecoderOutput lastPositionOnly(int logits) {
    return new DecoderOutput(Tensors.floats(logits), true, List.of(Tensors.floats(36), Tensors.floats(36)),
        List.of(Tensors.floats(36), Tensors.floats(36)), List.of(Tensors.floats(24)));
  }

  private static void assertRejected(String message, Executable check) {
    assertEquals(message, assertThrows(IllegalStateException.class, check).getMessage());
  }
}
