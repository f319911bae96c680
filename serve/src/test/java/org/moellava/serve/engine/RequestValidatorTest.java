package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.engine.TinyModel.INFO;

import org.junit.jupiter.api.Test;
import org.moellava.error.InvalidInputException;

/** The submit-time checks against the tiny model: context 8, V 10, one image token (id 2) for a 1 x 1 image. */
class RequestValidatorTest {
  private final RequestValidator validator = new RequestValidator(INFO);

  @Test
  void promptPlusMaxTokensMayFillTheContextExactly() {
    assertDoesNotThrow(() -> validator.check(request(new int[] {3, 4, 5, 6, 7}, null, 3)));
  }

  @Test
  void oneTokenOverTheContextIsRejected() {
    ContextLengthExceededException e = assertThrows(ContextLengthExceededException.class,
        () -> validator.check(request(new int[] {3, 4, 5, 6, 7}, null, 4)));
    assertEquals("prompt of 5 tokens plus max_tokens 4 exceeds the model context of 8 tokens", e.getMessage());
    assertFalse(e.promptFillsContext());
    assertEquals(5, e.promptTokens());
    assertEquals(4, e.maxTokens());
    assertEquals(8, e.maxContext());
  }

  @Test
  void aPromptThatFillsTheContextIsRejectedAsSuch() {
    ContextLengthExceededException e = assertThrows(ContextLengthExceededException.class,
        () -> validator.check(request(new int[] {3, 3, 3, 3, 3, 3, 3, 3}, null, 1)));
    assertEquals("prompt is 8 tokens, the model context holds 8 tokens including the answer", e.getMessage());
    assertTrue(e.promptFillsContext());
  }

  @Test
  void tokenIdsAndImageTokensMustFitTheModel() {
    assertEquals("prompt token id 10 is outside the vocabulary [0, 10)", assertThrows(InvalidInputException.class,
        () -> validator.check(request(new int[] {3, 10}, null, 1))).getMessage());
    assertEquals("prompt holds 1 image tokens, expected 0 without an image", assertThrows(InvalidInputException.class,
        () -> validator.check(request(new int[] {2, 3}, null, 1))).getMessage());
    assertEquals("pixel values hold 2 floats, expected [3, 1, 1]", assertThrows(InvalidInputException.class,
        () -> validator.check(request(new int[] {2, 3}, new float[2], 1))).getMessage());
    assertDoesNotThrow(() -> validator.check(request(new int[] {2, 3}, new float[3], 1)));
  }

  private static GenerationRequest request(int[] prompt, float[] pixels, int maxTokens) {
    return new GenerationRequest("r", prompt, pixels, SamplingParams.greedy(maxTokens));
  }
}
