package org.moellava.serve.engine;

/**
 * One generated token, as streamed.
 *
 * @param index 0 for the first generated token
 * @param tokenId the token id
 * @param textDelta text that became final with this token (may be empty: held back or a special token)
 * @param routedExperts {@code [moeLayer][k]}: the experts, best first, that each MoE layer routed the
 *     position whose logits produced this token to (in {@code ModelInfo.moeLayers()} order)
 * @param logprobs its log probabilities when the request asked for them ({@link SamplingParams#logprobs()}), else
 *     null
 */
public record GeneratedToken(int index, int tokenId, String textDelta, int[][] routedExperts, TokenLogprobs logprobs) {

  /** A token without log probabilities. */
  public GeneratedToken(int index, int tokenId, String textDelta, int[][] routedExperts) {
    this(index, tokenId, textDelta, routedExperts, null);
  }
}
