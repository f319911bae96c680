package org.moellava.conformance;

import java.util.ArrayList;
import java.util.List;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.conformance.DecisionTally;
import org.moellava.runtime.conformance.GreedyComparison;
import org.moellava.runtime.conformance.RoutingComparison;
import org.moellava.runtime.conformance.RowDivergence;
import org.moellava.runtime.conformance.TensorDiff;
import org.moellava.runtime.conformance.Tolerance;

/**
 * Accumulates the comparison of one backend's traces with the reference's over all cases, with the conformance
 * engine ({@code org.moellava.runtime.conformance}), then judges it with a {@link Tolerance}: features, logits
 * (per position) and router logits (per token) within the relative tolerance; no routing flip and no greedy token
 * beyond the near-tie allowance ({@link org.moellava.runtime.conformance.NearTie}).
 *
 * <p>A near-tie flip legitimately sends a token through other experts, and everything that depends on that token
 * afterwards (its own later layers, the later positions of its row, the decode steps) may then differ by more than
 * the tolerance. Those positions are counted but left out of the tensor, routing and greedy comparisons
 * ({@link RowDivergence}).
 */
public final class PairComparison {
  private static final int MAX_EXAMPLES = 5;

  private final String reference;
  private final String backend;
  private final ModelInfo info;
  private final Tolerance tolerance;
  private final RoutingComparison routing;
  private final DecisionTally greedy = new DecisionTally();
  private int cases;
  private TensorDiff features = TensorDiff.NONE;
  private TensorDiff logits = TensorDiff.NONE;
  private long excludedPositions;
  private Divergence.Finding diagnosis = Divergence.Finding.NONE;

  public PairComparison(String reference, String backend, ModelInfo info, Tolerance tolerance) {
    this.reference = reference;
    this.backend = backend;
    this.info = info;
    this.tolerance = tolerance;
    this.routing = new RoutingComparison(tolerance, info.numExperts(), info.expertsPerToken(), MAX_EXAMPLES);
  }

  /** Adds one case. */
  public void add(ConformanceCase c, BackendTrace ref, BackendTrace x) {
    cases++;
    int v = info.vocabSize();
    RowDivergence divergence = new RowDivergence(c.batch());
    for (int call = 0; call < ref.stepLogits().size(); call++) {
      boolean prefill = call == 0;
      routing.compareCall(c.id(), call, info.moeLayers(), ref.stepRouterLogits().get(call),
          x.stepRouterLogits().get(call), prefill ? c.seq() : 1, position(c, call, 0),
          token -> !prefill || c.attentionMask()[token] != 0, divergence);
    }
    if (c.hasImage()) features = features.merge(TensorDiff.of(x.imageFeatures(), ref.imageFeatures()));
    TensorDiff caseLogits = TensorDiff.NONE;
    if (ref.prefillLogits() != null && x.prefillLogits() != null) {
      for (int r = 0; r < c.batch(); r++) {
        for (int s = 0; s < c.seq(); s++) {
          if (c.attentionMask()[r * c.seq() + s] == 0 || !divergence.admit(r, s)) continue;
          caseLogits = caseLogits.merge(TensorDiff.of(x.prefillLogits(), ref.prefillLogits(), (r * c.seq() + s) * v, v));
        }
      }
    }
    for (int call = 0; call < ref.stepLogits().size(); call++) {
      for (int r = 0; r < c.batch(); r++) {
        if (!divergence.admit(r, position(c, call, c.seq() - 1))) continue;
        caseLogits = caseLogits.merge(TensorDiff.of(x.stepLogits().get(call), ref.stepLogits().get(call), r * v, v));
      }
    }
    logits = logits.merge(caseLogits);
    for (int step = 0; step < c.decodeSteps(); step++) {
      GreedyComparison.compare(ref.stepLogits().get(step), v, r -> r * v, position(c, step, c.seq() - 1),
          column(ref.tokens(), step), column(x.tokens(), step), tolerance, divergence, greedy);
    }
    excludedPositions += divergence.excluded();
    if (!divergence.diverged() && !caseLogits.within(tolerance)) {
      Divergence.Finding f = Divergence.locate(c, ref, x, info, tolerance);
      if (f.evidence() > diagnosis.evidence()) diagnosis = f;
    }
  }

  /** The position index of position {@code s} of call {@code call} (prefill positions first). */
  private static int position(ConformanceCase c, int call, int s) {
    return call == 0 ? s : c.seq() + call - 1;
  }

  private static int[] column(int[][] tokens, int step) {
    int[] out = new int[tokens.length];
    for (int r = 0; r < tokens.length; r++) out[r] = tokens[r][step];
    return out;
  }

  /** The verdict. */
  public PairReport report() {
    List<String> problems = new ArrayList<>();
    if (!features.within(tolerance)) problems.add("image features off by " + fmt(features.maxRel()));
    if (!logits.within(tolerance)) problems.add("logits off by " + fmt(logits.maxRel()));
    routing.routerLogits().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).forEach(e -> {
      if (!e.getValue().within(tolerance)) {
        problems.add("router logits of layer " + e.getKey() + " off by " + fmt(e.getValue().maxRel()));
      }
    });
    DecisionTally routed = routing.total();
    if (routed.flips() > 0) problems.add(routed.flips() + " routing flips beyond the near-tie allowance");
    if (greedy.flips() > 0) problems.add(greedy.flips() + " greedy tokens differ");
    if (!diagnosis.text().isEmpty()) problems.add("first divergence: " + diagnosis.text());
    return new PairReport(reference, backend, problems.isEmpty() ? "passed" : "failed", String.join("; ", problems),
        cases, features, logits, routing.routerLogits(), routed.agreement(), routed.nearTies(), routed.flips(),
        routing.flips(), greedy.flips() == 0, greedy.nearTies(), excludedPositions, diagnosis.text());
  }

  private static String fmt(double d) {
    return String.format(java.util.Locale.ROOT, "%.3g relative (tolerance exceeded)", d);
  }
}
