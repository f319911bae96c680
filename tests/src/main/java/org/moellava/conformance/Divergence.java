package org.moellava.conformance;

import java.util.HashSet;
import java.util.Set;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.conformance.Tolerance;
import org.moellava.tensor.TopK;

/**
 * Names where two traces first diverge, from the prefill's per-layer present keys. The key of decoder layer i at
 * token t depends only on token t's input to layer i, which is the output of layer i-1; so the first layer whose
 * keys differ locates the culprit one layer below, and on a MoE layer the differing tokens are exactly those
 * routed to the faulty expert. The last layer is located from the logits the same way.
 */
final class Divergence {
  private Divergence() {}

  /**
   * Where a case diverges.
   *
   * @param text e.g. {@code layer 2 expert 3 (...)}, or empty
   * @param evidence how many differing tokens support it; the suite keeps the best-supported finding
   */
  record Finding(String text, int evidence) {
    static final Finding NONE = new Finding("", 0);
  }

  static Finding locate(ConformanceCase c, BackendTrace ref, BackendTrace x, ModelInfo info, Tolerance tolerance) {
    int layers = info.numLayers();
    for (int i = 0; i < layers; i++) {
      Set<Integer> differing = differingTokens(c, ref.prefillKeys().get(i), x.prefillKeys().get(i),
          info.numKeyValueHeads(), info.headDim(), tolerance);
      if (!differing.isEmpty()) {
        return i == 0 ? new Finding("before decoder layer 0 (embeddings or image features)", differing.size())
            : culprit(c, ref, info, i - 1, differing);
      }
    }
    if (ref.prefillLogits() != null && x.prefillLogits() != null) {
      Set<Integer> differing = differingTokens(c, ref.prefillLogits(), x.prefillLogits(), 1, info.vocabSize(), tolerance);
      if (!differing.isEmpty()) return culprit(c, ref, info, layers - 1, differing);
    }
    return Finding.NONE;
  }

  /** Real prompt tokens {@code r * S + s} whose values differ beyond tolerance; data is {@code [B, H, S, W]}. */
  private static Set<Integer> differingTokens(ConformanceCase c, float[] ref, float[] x, int heads, int width,
      Tolerance tolerance) {
    double scale = 0;
    for (float v : ref) scale = Math.max(scale, Math.abs(v));
    double limit = tolerance.relative() * Math.max(scale, 1e-12);
    Set<Integer> out = new HashSet<>();
    int s = c.seq();
    for (int r = 0; r < c.batch(); r++) {
      for (int t = 0; t < s; t++) {
        if (c.attentionMask()[r * s + t] == 0) continue;
        double worst = 0;
        for (int h = 0; h < heads; h++) {
          int base = ((r * heads + h) * s + t) * width;
          for (int w = 0; w < width; w++) worst = Math.max(worst, Math.abs(x[base + w] - ref[base + w]));
        }
        if (worst > limit || Double.isNaN(worst)) out.add(r * s + t);
      }
    }
    return out;
  }

  /**
   * On a MoE layer, the expert that explains the differing tokens: it must be among the chosen experts of every
   * differing token, and a faulty expert changes every token routed to it, so among those candidates the one
   * with the fewest unchanged tokens routed to it wins.
   */
  private static Finding culprit(ConformanceCase c, BackendTrace ref, ModelInfo info, int layer, Set<Integer> differing) {
    int j = info.moeLayers().indexOf(layer);
    if (j < 0) {
      return new Finding("layer " + layer + " (attention or dense FFN; " + differing.size() + " tokens differ)",
          differing.size());
    }
    float[] router = ref.stepRouterLogits().get(0).get(j); // [B*S, E]
    int e = info.numExperts();
    int bestExpert = -1;
    int fewestUnchanged = Integer.MAX_VALUE;
    for (int expert = 0; expert < e; expert++) {
      int covered = 0;
      int unchanged = 0;
      for (int r = 0; r < c.batch(); r++) {
        for (int s = 0; s < c.seq(); s++) {
          int token = r * c.seq() + s;
          if (c.attentionMask()[token] == 0) continue;
          boolean routed = false;
          for (int chosen : TopK.of(router, token * e, e, info.expertsPerToken())) routed |= chosen == expert;
          if (!routed) continue;
          if (differing.contains(token)) covered++;
          else unchanged++;
        }
      }
      if (covered == differing.size() && unchanged < fewestUnchanged) {
        fewestUnchanged = unchanged;
        bestExpert = expert;
      }
    }
    if (bestExpert >= 0) {
      return new Finding("layer " + layer + " expert " + bestExpert + " (" + differing.size()
          + " differing tokens, all routed to it)", differing.size());
    }
    return new Finding("layer " + layer + " (" + differing.size()
        + " tokens differ, not explained by one expert: attention or router)", differing.size());
  }
}
