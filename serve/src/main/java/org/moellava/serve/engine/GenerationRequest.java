package org.moellava.serve.engine;

/**
 * One prompt to complete.
 *
 * @param requestId caller's id, echoed in results
 * @param promptIds the tokenised prompt; an image placeholder is already expanded to P image tokens
 * @param pixelValues the image {@code [3, H, W]}, CLIP-normalised, or null without an image
 * @param sampling sampling and stopping parameters
 * @param constraint the tokens allowed at each step (structured output), a fresh state per sequence; null for none
 */
public record GenerationRequest(String requestId, int[] promptIds, float[] pixelValues, SamplingParams sampling,
    TokenConstraint.Factory constraint) {
  public GenerationRequest {
    if (promptIds == null || promptIds.length == 0) {
      throw new IllegalArgumentException("prompt must hold at least one token");
    }
  }

  /** A request without constraint. */
  public GenerationRequest(String requestId, int[] promptIds, float[] pixelValues, SamplingParams sampling) {
    this(requestId, promptIds, pixelValues, sampling, null);
  }
}
