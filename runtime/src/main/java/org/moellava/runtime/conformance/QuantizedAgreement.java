package org.moellava.runtime.conformance;

import java.util.ArrayList;
import java.util.List;
import org.moellava.tensor.TopK;

/**
 * Accumulates how a quantized candidate agrees with its fp32 reference ({@link QuantizedTolerance}): per position
 * the cosine of the logits and whether the argmax agrees, per token and MoE layer whether the expert set agrees
 * (differing sets judged by {@link NearTie} at the scheme's scale: near ties and hard flips are counted apart), and
 * per prompt row the length of the common greedy prefix.
 */
public final class QuantizedAgreement {
  private final QuantizedTolerance tolerance;
  private double minCosine = 1;
  private double sumCosine;
  private long positions;
  private long top1Same;
  private final DecisionTally routing = new DecisionTally();
  private final java.util.SortedMap<Integer, DecisionTally> routingPerLayer = new java.util.TreeMap<>();
  private final List<Integer> prefixes = new ArrayList<>();
  private int greedySteps;

  public QuantizedAgreement(QuantizedTolerance tolerance) {
    this.tolerance = tolerance;
  }

  /** Compares the logits row {@code [offset, offset + vocab)} of both. */
  public void logitsRow(float[] reference, float[] candidate, int offset, int vocab) {
    TensorDiff d = TensorDiff.of(candidate, reference, offset, vocab);
    minCosine = Math.min(minCosine, d.cosine());
    sumCosine += d.cosine();
    positions++;
    if (TopK.of(reference, offset, vocab, 1)[0] == TopK.of(candidate, offset, vocab, 1)[0]) top1Same++;
  }

  /** Compares one token's expert choice: router logits rows {@code [offset, offset + experts)}, top {@code k}. */
  public void routingRow(float[] reference, float[] candidate, int offset, int experts, int k) {
    judge(reference, candidate, offset, experts, k);
  }

  /**
   * As {@link #routingRow(float[], float[], int, int, int)}, counted also for decoder layer {@code layer} (the
   * verdict's {@link QuantizedVerdict#routingPerLayer}).
   */
  public void routingRow(int layer, float[] reference, float[] candidate, int offset, int experts, int k) {
    routingPerLayer.computeIfAbsent(layer, l -> new DecisionTally()).add(judge(reference, candidate, offset, experts, k));
  }

  private Decision judge(float[] reference, float[] candidate, int offset, int experts, int k) {
    int[] refTop = TopK.of(reference, offset, experts, k);
    int[] top = TopK.of(candidate, offset, experts, k);
    Decision d = NearTie.judge(reference, offset, experts, refTop, top, tolerance.nearTie());
    routing.add(d);
    return d;
  }

  /** One prompt row's greedy tokens: the reference's and the candidate's, each decoded from its own tokens. */
  public void greedy(List<Integer> reference, List<Integer> candidate) {
    int n = Math.min(reference.size(), candidate.size());
    int p = 0;
    while (p < n && reference.get(p).equals(candidate.get(p))) p++;
    prefixes.add(p);
    greedySteps = Math.max(greedySteps, reference.size());
  }

  /** What was measured and whether it is within the thresholds. */
  public QuantizedVerdict verdict() {
    double top1 = positions == 0 ? 1 : (double) top1Same / positions;
    double routed = routing.compared() == 0 ? 1
        : (double) (routing.same() + routing.nearTies()) / routing.compared();
    double meanPrefix = prefixes.stream().mapToInt(Integer::intValue).average().orElse(greedySteps);
    int minPrefix = prefixes.stream().mapToInt(Integer::intValue).min().orElse(greedySteps);
    long full = prefixes.stream().filter(p -> p == greedySteps).count();
    List<String> failures = new ArrayList<>();
    if (!(minCosine >= tolerance.minLogitsCosine())) {
      failures.add(String.format("logits cosine %.5f < %.5f", minCosine, tolerance.minLogitsCosine()));
    }
    if (!(top1 >= tolerance.minTop1Agreement())) {
      failures.add(String.format("top-1 agreement %.3f < %.3f", top1, tolerance.minTop1Agreement()));
    }
    if (!(routed >= tolerance.minRoutingAgreement())) {
      failures.add(String.format("routing agreement %.3f < %.3f", routed, tolerance.minRoutingAgreement()));
    }
    if (!(meanPrefix >= tolerance.minGreedyPrefix())) {
      failures.add(String.format("mean greedy prefix %.2f < %.2f", meanPrefix, tolerance.minGreedyPrefix()));
    }
    List<QuantizedVerdict.LayerRouting> perLayer = new ArrayList<>();
    routingPerLayer.forEach((layer, t) -> perLayer.add(new QuantizedVerdict.LayerRouting(layer, t.compared(),
        t.same(), t.nearTies(), t.flips(), t.compared() == 0 ? 1 : (double) (t.same() + t.nearTies()) / t.compared(),
        t.compared() == 0 ? 1 : (double) t.same() / t.compared())));
    return new QuantizedVerdict(tolerance, minCosine, positions == 0 ? 1 : sumCosine / positions, positions, top1,
        routing.compared(), routing.same(), routing.nearTies(), routing.flips(), routed, List.copyOf(prefixes),
        greedySteps, minPrefix, meanPrefix, full, failures.isEmpty(), List.copyOf(failures), List.copyOf(perLayer));
  }
}
