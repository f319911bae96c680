package org.moellava.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.moellava.serve.backend.ModelInfo;

/**
 * Accumulates the comparison of one backend's traces with the reference's over all cases, then judges it with a
 * {@link Tolerance}: features, logits and router logits within the relative tolerance; no routing flip where the
 * reference's k-th/(k+1)-th margin exceeds the routing margin; greedy tokens equal except at near ties.
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
  private final List<RoutingFlip> examples = new ArrayList<>();
  private long greedyMismatches;
  private long greedyNearTies;
  private String diagnosis = "";

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
    if (c.hasImage()) features = features.merge(TensorDiff.of(x.imageFeatures(), ref.imageFeatures()));
    if (ref.prefillLogits() != null && x.prefillLogits() != null) {
      for (int r = 0; r < c.batch(); r++) {
        for (int s = 0; s < c.seq(); s++) {
          if (c.attentionMask()[r * c.seq() + s] == 0) continue;
          logits = logits.merge(TensorDiff.of(x.prefillLogits(), ref.prefillLogits(), (r * c.seq() + s) * v, v));
        }
      }
    }
    for (int call = 0; call < ref.stepLogits().size(); call++) {
      logits = logits.merge(TensorDiff.of(x.stepLogits().get(call), ref.stepLogits().get(call)));
      compareRouting(c, call, ref.stepRouterLogits().get(call), x.stepRouterLogits().get(call));
    }
    compareGreedy(c, ref, x);
    if (diagnosis.isEmpty() && (features.maxRel() > tolerance.relative() || logits.maxRel() > tolerance.relative())) {
      diagnosis = Divergence.locate(c, ref, x, info, tolerance);
    }
  }

  private void compareRouting(ConformanceCase c, int call, List<float[]> refRouters, List<float[]> xRouters) {
    int e = info.numExperts();
    int k = info.expertsPerToken();
    int seq = call == 0 ? c.seq() : 1;
    for (int j = 0; j < info.moeLayers().size(); j++) {
      int layer = info.moeLayers().get(j);
      float[] ref = refRouters.get(j);
      float[] x = xRouters.get(j);
      for (int r = 0; r < c.batch(); r++) {
        for (int s = 0; s < seq; s++) {
          if (call == 0 && c.attentionMask()[r * c.seq() + s] == 0) continue;
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

  private void compareGreedy(ConformanceCase c, BackendTrace ref, BackendTrace x) {
    int v = info.vocabSize();
    for (int r = 0; r < c.batch(); r++) {
      for (int step = 0; step < c.decodeSteps(); step++) {
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
    if (!diagnosis.isEmpty()) problems.add("first divergence: " + diagnosis);
    double agreement = routedTokens == 0 ? 100 : 100.0 * agreeing / routedTokens;
    return new PairReport(reference, backend, problems.isEmpty() ? "passed" : "failed", String.join("; ", problems),
        cases, features, logits, Map.copyOf(routers), agreement, nearTies, hardFlips, List.copyOf(examples),
        greedyMismatches == 0, greedyNearTies, diagnosis);
  }

  private static String fmt(double d) {
    return String.format(java.util.Locale.ROOT, "%.3g relative (tolerance exceeded)", d);
  }
}
