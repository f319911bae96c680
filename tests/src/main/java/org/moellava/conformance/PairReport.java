package org.moellava.conformance;

import java.util.List;
import java.util.Map;
import org.moellava.runtime.conformance.RoutingFlip;
import org.moellava.runtime.conformance.TensorDiff;

/**
 * The comparison of one backend with the reference over every case.
 *
 * @param reference the reference backend's name
 * @param backend the compared backend's name
 * @param status {@code passed}, {@code failed} or {@code skipped}
 * @param reason why it was skipped or failed; empty when passed
 * @param cases cases compared
 * @param imageFeatures vision features diff
 * @param logits logits diff (prompt positions and decode steps)
 * @param routerLogits router-logit diff per MoE layer
 * @param routingAgreement share of (token, MoE layer) expert sets equal to the reference's, in percent
 * @param nearTieFlips routing disagreements within the near-tie allowance
 * @param hardFlips routing disagreements beyond it (first few shown in {@code flips})
 * @param flips examples of hard flips
 * @param greedyEqual whether every greedy token matched, except at near ties
 * @param greedyNearTies greedy disagreements within the near-tie allowance
 * @param excludedAfterNearTies comparisons left out because they follow a near-tie flip in their row
 * @param diagnosis where the first divergence comes from, e.g. {@code layer 2 expert 3}, or empty
 */
public record PairReport(String reference, String backend, String status, String reason, int cases,
    TensorDiff imageFeatures, TensorDiff logits, Map<Integer, TensorDiff> routerLogits, double routingAgreement,
    long nearTieFlips, long hardFlips, List<RoutingFlip> flips, boolean greedyEqual, long greedyNearTies,
    long excludedAfterNearTies, String diagnosis) {

  /** A backend that cannot run here: listed, never counted as passed. */
  public static PairReport skipped(String reference, String backend, String reason) {
    return new PairReport(reference, backend, "skipped", reason, 0, TensorDiff.NONE, TensorDiff.NONE, Map.of(), 0, 0,
        0, List.of(), false, 0, 0, "");
  }

  public boolean failed() {
    return status.equals("failed");
  }
}
