package org.moellava.serve.engine;

import java.util.List;

/**
 * A finished generation.
 *
 * @param requestId the request's id
 * @param tokenIds every generated token, including a final end-of-sequence token
 * @param text the answer text (end-of-sequence token excluded, cut before a stop string)
 * @param finishReason why it ended
 * @param promptTokens prompt length in tokens
 * @param routedExperts per generated token, {@code [moeLayer][k]} (see {@link GeneratedToken})
 * @param timeToFirstTokenNanos from submission to the first token, or -1 without one
 * @param logprobs per generated token (as {@code tokenIds}) when the request asked for them, else empty
 * @param cachedPromptTokens prompt tokens whose keys and values came from the prefix cache (OpenAI's
 *     {@code usage.prompt_tokens_details.cached_tokens})
 */
public record GenerationResult(
    String requestId,
    int[] tokenIds,
    String text,
    FinishReason finishReason,
    int promptTokens,
    List<int[][]> routedExperts,
    long timeToFirstTokenNanos,
    List<TokenLogprobs> logprobs,
    int cachedPromptTokens) {

  public GenerationResult {
    routedExperts = List.copyOf(routedExperts);
    logprobs = List.copyOf(logprobs);
  }

  /** A result without log probabilities or cached prompt tokens. */
  public GenerationResult(String requestId, int[] tokenIds, String text, FinishReason finishReason, int promptTokens,
      List<int[][]> routedExperts, long timeToFirstTokenNanos) {
    this(requestId, tokenIds, text, finishReason, promptTokens, routedExperts, timeToFirstTokenNanos, List.of(), 0);
  }

  /** Generated tokens, counted as the OpenAI API's {@code completion_tokens}. */
  public int completionTokens() {
    return tokenIds.length;
  }
}
