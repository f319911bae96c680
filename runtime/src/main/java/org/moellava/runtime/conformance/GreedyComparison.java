package org.moellava.runtime.conformance;

import java.util.function.IntUnaryOperator;

/**
 * The greedy tokens of one decoder call: per row, the candidate's token against the reference's, judged by
 * {@link NearTie} (k = 1: a differing token is a near tie when the reference prefers its own token by no more than
 * an error within tolerance can overturn) on the reference's logits of that row. Rows diverged by a near-tie routing
 * flip ({@link RowDivergence}) are skipped and counted there.
 */
public final class GreedyComparison {
  private GreedyComparison() {}

  /**
   * @param referenceLogits the reference's logits; row {@code b}'s {@code vocab} values start at
   *     {@code rowOffset(b)}
   * @param position the position whose logits these are (the call's last)
   * @param referenceTokens per row, the reference's token
   * @param tokens per row, the candidate's token
   */
  public static void compare(float[] referenceLogits, int vocab, IntUnaryOperator rowOffset, int position,
      int[] referenceTokens, int[] tokens, Tolerance tolerance, RowDivergence divergence, DecisionTally tally) {
    for (int b = 0; b < referenceTokens.length; b++) {
      if (!divergence.admit(b, position)) continue;
      tally.add(NearTie.judge(referenceLogits, rowOffset.applyAsInt(b), vocab, new int[] {referenceTokens[b]},
          new int[] {tokens[b]}, tolerance));
    }
  }
}
