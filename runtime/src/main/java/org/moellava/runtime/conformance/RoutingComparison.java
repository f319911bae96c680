package org.moellava.runtime.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import org.moellava.tensor.TopK;

/**
 * The expert choices of a candidate against the reference's, decoder call by decoder call: per MoE layer a
 * {@link DecisionTally} of tokens judged by {@link NearTie} and the {@link TensorDiff} of their router logits (each
 * token against its own scale), plus the first few hard flips. A near-tie flip marks its row diverged
 * ({@link RowDivergence}) from that position on; diverged tokens are skipped and counted there.
 *
 * <p>Within a call the layers are compared in ascending order, each over every token in row and position order. A
 * flip at layer L of token t can change only layers above L of t and of later positions, never a lower layer or an
 * earlier position, so every comparison made in this order is of values the flip cannot have changed. (Later
 * positions of a lower layer would be unaffected too; the row-wide mark leaves them out anyway, which is
 * conservative.)
 */
public final class RoutingComparison {
  private final Tolerance tolerance;
  private final int experts;
  private final int k;
  private final int maxFlipExamples;
  private final Map<Integer, DecisionTally> tallies = new TreeMap<>();
  private final Map<Integer, TensorDiff> routerLogits = new TreeMap<>();
  private final List<RoutingFlip> flips = new ArrayList<>();

  /**
   * @param experts E, the width of a router-logit row
   * @param k experts per token
   * @param maxFlipExamples hard flips kept for the report (all are counted)
   */
  public RoutingComparison(Tolerance tolerance, int experts, int k, int maxFlipExamples) {
    this.tolerance = tolerance;
    this.experts = experts;
    this.k = k;
    this.maxFlipExamples = maxFlipExamples;
  }

  /**
   * Compares one decoder call.
   *
   * @param caseId names the inputs in {@link RoutingFlip}s
   * @param call 0 for the prefill, n for the n-th decode step
   * @param layers the MoE layer indices, parallel to {@code reference} and {@code actual}
   * @param reference per MoE layer, the reference's router logits {@code [rows * seq, E]}
   * @param actual per MoE layer, the candidate's
   * @param seq tokens per row in this call
   * @param firstPosition the position of the call's first token ({@link RowDivergence})
   * @param compared which tokens ({@code row * seq + s}) take part, e.g. not left padding
   * @param divergence the rows' near-tie flips so far; updated
   */
  public void compareCall(String caseId, int call, List<Integer> layers, List<float[]> reference,
      List<float[]> actual, int seq, int firstPosition, IntPredicate compared, RowDivergence divergence) {
    if (reference.size() != layers.size() || actual.size() != layers.size()) {
      throw new IllegalArgumentException(layers.size() + " MoE layers but " + reference.size() + " reference and "
          + actual.size() + " candidate router outputs");
    }
    for (int j = 0; j < layers.size(); j++) {
      int layer = layers.get(j);
      float[] ref = reference.get(j);
      float[] x = actual.get(j);
      if (ref.length != divergence.rows() * seq * experts || x.length != ref.length) {
        throw new IllegalArgumentException("router logits of layer " + layer + ": " + ref.length + " reference and "
            + x.length + " candidate values for " + divergence.rows() + " x " + seq + " tokens of " + experts
            + " experts");
      }
      DecisionTally tally = tallies.computeIfAbsent(layer, l -> new DecisionTally());
      for (int row = 0; row < divergence.rows(); row++) {
        for (int s = 0; s < seq; s++) {
          int token = row * seq + s;
          if (!compared.test(token) || !divergence.admit(row, firstPosition + s)) continue;
          int offset = token * experts;
          routerLogits.merge(layer, TensorDiff.of(x, ref, offset, experts), TensorDiff::merge);
          int[] refTop = TopK.of(ref, offset, experts, k);
          int[] xTop = TopK.of(x, offset, experts, k);
          Decision d = NearTie.judge(ref, offset, experts, refTop, xTop, tolerance);
          tally.add(d);
          if (d.kind() == Decision.Kind.NEAR_TIE) {
            divergence.flipAt(row, firstPosition + s);
          } else if (d.kind() == Decision.Kind.FLIP && flips.size() < maxFlipExamples) {
            flips.add(new RoutingFlip(caseId, layer, call, row, s, refTop, xTop,
                NearTie.margin(ref, offset, experts, k), d.gap(), d.allowance()));
          }
        }
      }
    }
  }

  /** The decisions at MoE layer {@code layer} (empty when none was compared). */
  public DecisionTally tally(int layer) {
    return tallies.getOrDefault(layer, new DecisionTally());
  }

  /** The decisions of every layer. */
  public DecisionTally total() {
    DecisionTally t = new DecisionTally();
    tallies.values().forEach(t::addAll);
    return t;
  }

  /** Per MoE layer, the router-logit diff over the compared tokens, each against its own scale. */
  public Map<Integer, TensorDiff> routerLogits() {
    return Map.copyOf(routerLogits);
  }

  /** The first hard flips, in comparison order. */
  public List<RoutingFlip> flips() {
    return List.copyOf(flips);
  }
}
