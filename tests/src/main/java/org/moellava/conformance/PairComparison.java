package org.moellava.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.moellava.runtime.ModelInfo;

/**
 * Accumulates the comparison of one backend's traces with the reference's over all cases, then judges it with a
 * {@link Tolerance}: features, logits and router logits within the relative tolerance; no routing flip where the
 * reference's k-th/(k+1)-th margin exceeds the routing margin; greedy tokens equal except at near ties.
 *
 * <p>A near-tie flip legitimately sends a token through other experts, and everything that depends on that token
 * afterwards (its own later layers, the later positions of its row, the decode steps) may then differ by more than
 * the tolerance. Those positions are counted but left out of the tensor, routing and greedy comparisons.
 */
public final class PairComparison {
  private static final int MAX_EXAMPLES = 5;

  private final String reference;
  private final String backend;
  private final ModelInfo info;
  private final Tolerance tolerance;
  private int cases;
  private TensorDiff features = TensorDiff.NONE;
  private TensorDiff logits = TensorDiff.NONE;
  private final Map<Integer, TensorDiff> routers = new TreeMap<>();
  private long routedTokens;
  private long agreeing;
  private long nearTies;
  private long hardFlips;
  private long excludedPositions;
  private final List<RoutingFlip> examples = new ArrayList<>();
  private long greedyMismatches;
  private long greedyNearTies;
  private Divergence.Finding diagnosis = Divergence.Finding.NONE;

  public PairComparison(String reference, String backend, ModelInfo info, Tolerance tolerance) {
    this.reference = reference;
    this.backend = backend;
    this.info = info;
    this.tolerance = tolerance;
  }

  /** Adds one case. */
  public void add(ConformanceCase c, BackendTrace ref, BackendTrace x) {
    cases++;
    int v = info.vocabSize();
    // taint[r]: the first call/position of row r that follows a near-tie flip; positions are numbered
    // 0..S-1 in the prefill, then S, S+1, ... for the decode steps.
    int[] taint = new int[c.batch()];
    java.util.Arrays.fill(taint, Integer.MAX_VALUE);
    for (int call = 0; call < ref.stepLogits().size(); call++) {
      compareRouting(c, call, ref.stepRouterLogits().get(call), x.stepRouterLogits().get(call), taint);
    }
    if (c.hasImage()) features = features.merge(TensorDiff.of(x.imageFeatures(), ref.imageFeatures()));
    TensorDiff caseLogits = TensorDiff.NONE;
    if (ref.prefillLogits() != null && x.prefillLogits() != null) {
      for (int r = 0; r < c.batch(); r++) {
        for (int s = 0; s < c.seq(); s++) {
          if (c.attentionMask()[r * c.seq() + s] == 0) continue;
          if (s >= taint[r]) {
            excludedPositions++;
            continue;
          }
          caseLogits = caseLogits.merge(TensorDiff.of(x.prefillLogits(), ref.prefillLogits(), (r * c.seq() + s) * v, v));
        }
      }
    }
    for (int call = 0; call < ref.stepLogits().size(); call++) {
      for (int r = 0; r < c.batch(); r++) {
        if (position(c, call, c.seq() - 1) >= taint[r]) continue;
        caseLogits = caseLogits.merge(TensorDiff.of(x.stepLogits().get(call), ref.stepLogits().get(call), r * v, v));
      }
    }
    logits = logits.merge(caseLogits);
    compareGreedy(c, ref, x, taint);
    boolean untaintedCase = java.util.Arrays.stream(taint).allMatch(t -> t == Integer.MAX_VALUE);
    if (untaintedCase && caseLogits.maxRel() > tolerance.relative()) {
      Divergence.Finding f = Divergence.locate(c, ref, x, info, tolerance);
      if (f.evidence() > diagnosis.evidence()) diagnosis = f;
    }
  }

  /** The position index of position {@code s} of call {@code call} (prefill positions first). */
  private static int position(ConformanceCase c, int call, int s) {
    return call == 0 ? s : c.seq() + call - 1;
  }

  private void compareRouting(ConformanceCase c, int call, List<float[]> refRouters, List<float[]> xRouters,
      int[] taint) {
    int e = info.numExperts();
    int k = info.expertsPerToken();
    int seq = call == 0 ? c.seq() : 1;
    for (int r = 0; r < c.batch(); r++) {
      for (int s = 0; s < seq; s++) {
        if (call == 0 && c.attentionMask()[r * c.seq() + s] == 0) continue;
        int pos = position(c, call, s);
        for (int j = 0; j < info.moeLayers().size(); j++) {
          if (pos >= taint[r]) {
            excludedPositions++;
            continue;
          }
          int layer = info.moeLayers().get(j);
          float[] ref = refRouters.get(j);
          float[] x = xRouters.get(j);
          int offset = (r * seq + s) * e;
          routers.merge(layer, TensorDiff.of(x, ref, offset, e), TensorDiff::merge);
          int[] refTop = Routing.topK(ref, offset, e, k);
          int[] xTop = Routing.topK(x, offset, e, k);
          routedTokens++;
          if (Routing.sameSet(refTop, xTop)) {
            agreeing++;
            continue;
          }
          double margin = Routing.margin(ref, offset, e, k);
          if (margin <= tolerance.routingMargin()) {
            nearTies++;
            taint[r] = Math.min(taint[r], pos);
          } else {
            hardFlips++;
            if (examples.size() < MAX_EXAMPLES) {
              examples.add(new RoutingFlip(c.id(), layer, call, r, s, refTop, xTop, margin));
            }
          }
        }
      }
    }
  }

  private void compareGreedy(ConformanceCase c, BackendTrace ref, BackendTrace x, int[] taint) {
    int v = info.vocabSize();
    for (int r = 0; r < c.batch(); r++) {
      for (int step = 0; step < c.decodeSteps(); step++) {
        if (position(c, step, c.seq() - 1) >= taint[r]) break;
        if (ref.tokens()[r][step] == x.tokens()[r][step]) continue;
        float[] refLogits = ref.stepLogits().get(step);
        float[] xLogits = x.stepLogits().get(step);
        double observed = TensorDiff.of(xLogits, refLogits, r * v, v).maxAbs();
        double gap = Routing.margin(refLogits, r * v, v, 1);
        if (gap <= 2 * observed) greedyNearTies++;
        else greedyMismatches++;
      }
    }
  }

  /** The verdict. */
  public PairReport report() {
    List<String> problems = new ArrayList<>();
    if (features.maxRel() > tolerance.relative()) problems.add("image features off by " + fmt(features.maxRel()));
    if (logits.maxRel() > tolerance.relative()) problems.add("logits off by " + fmt(logits.maxRel()));
    routers.forEach((layer, d) -> {
      if (d.maxRel() > tolerance.relative()) problems.add("router logits of layer " + layer + " off by " + fmt(d.maxRel()));
    });
    if (hardFlips > 0) problems.add(hardFlips + " routing flips beyond the near-tie margin");
    if (greedyMismatches > 0) problems.add(greedyMismatches + " greedy tokens differ");
    if (!diagnosis.text().isEmpty()) problems.add("first divergence: " + diagnosis.text());
    double agreement = routedTokens == 0 ? 100 : 100.0 * agreeing / routedTokens;
    return new PairReport(reference, backend, problems.isEmpty() ? "passed" : "failed", String.join("; ", problems),
        cases, features, logits, Map.copyOf(routers), agreement, nearTies, hardFlips, List.copyOf(examples),
        greedyMismatches == 0, greedyNearTies, excludedPositions, diagnosis.text());
  }

  private static String fmt(double d) {
    return String.format(java.util.Locale.ROOT, "%.3g relative (tolerance exceeded)", d);
  }
}
