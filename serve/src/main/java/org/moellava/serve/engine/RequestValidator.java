package org.moellava.serve.engine;

import org.moellava.error.InvalidInputException;
import org.moellava.runtime.ModelInfo;

/**
 * Checks a request against the model before it is queued: the context limit (the only place it is checked),
 * the token ids, and the image tokens against the image. Everything it lets through fits the model, so the
 * scheduler never meets a request it cannot run.
 */
final class RequestValidator {
  private final ModelInfo info;

  RequestValidator(ModelInfo info) {
    this.info = info;
  }

  /**
   * Throws if {@code request} does not fit the model.
   *
   * @throws ContextLengthExceededException if prompt plus max_tokens exceeds the context
   * @throws InvalidInputException if a token id or the image does not fit
   */
  void check(GenerationRequest request) {
    checkContext(request.promptIds().length, request.sampling().maxTokens());
    checkTokens(request.promptIds(), request.pixelValues());
    checkLogitBias(request.sampling());
  }

  /** Every {@code logit_bias} id is in the vocabulary and is not the image placeholder (never generated). */
  private void checkLogitBias(SamplingParams sampling) {
    for (int id : sampling.logitBias().keySet()) {
      if (id >= info.vocabSize()) {
        throw new InvalidInputException("logit_bias token id " + id + " is outside the vocabulary [0, "
            + info.vocabSize() + ")");
      }
      if (id == info.imageTokenId()) {
        throw new InvalidInputException("logit_bias token id " + id + " is the image placeholder, which is never "
            + "generated");
      }
    }
  }

  /**
   * The context limit: the prompt plus {@code maxTokens} generated tokens must fit the model's max positions,
   * for the KV cache of a slot holds exactly that many.
   */
  void checkContext(int promptTokens, int maxTokens) {
    if ((long) promptTokens + maxTokens > info.maxContext()) {
      throw new ContextLengthExceededException(promptTokens, maxTokens, info.maxContext());
    }
  }

  private void checkTokens(int[] prompt, float[] pixels) {
    int imageTokens = 0;
    for (int id : prompt) {
      if (id < 0 || id >= info.vocabSize()) {
        throw new InvalidInputException("prompt token id " + id + " is outside the vocabulary [0, "
            + info.vocabSize() + ")");
      }
      if (id == info.imageTokenId()) {
        imageTokens++;
      }
    }
    int expectedImageTokens = pixels == null ? 0 : info.numImageTokens();
    if (imageTokens != expectedImageTokens) {
      throw new InvalidInputException("prompt holds " + imageTokens + " image tokens, expected "
          + expectedImageTokens + (pixels == null ? " without an image" : " for one image"));
    }
    if (pixels != null && pixels.length != 3 * info.imageSize() * info.imageSize()) {
      throw new InvalidInputException("pixel values hold " + pixels.length + " floats, expected [3, "
          + info.imageSize() + ", " + info.imageSize() + "]");
    }
  }
}
