package org.moellava.conformance;

import java.util.HashSet;
import java.util.Set;
import org.moellava.serve.backend.ModelInfo;

/**
 * Names where two traces first diverge, from the prefill's per-layer present keys. The key of decoder layer i at
 * token t depends only on token t's input to layer i, which is the output of layer i-1; so the first layer whose
 * keys differ locates the culprit one layer below, and on a MoE layer the differing tokens are exactly those
 * routed to the faulty expert. The last layer is located from the logits the same way.
 */
final class Divergence {
  private Divergence() {}

  static String locate(ConformanceCase c, BackendTrace ref, BackendTrace x, ModelInfo info, Tolerance tolerance) {
    int layers = info.numLayers();
    for (int i = 0; i < layers; i++) {
      Set<Integer> differing = differingTokens(c, ref.prefillKeys().get(i), x.prefillKeys().get(i),
          info.numKeyValueHeads(), info.headDim(), tolerance);
      if (!differing.isEmpty()) {
        return i == 0 ? "before decoder layer 0 (embeddings or image features)" : culprit(c, ref, info, i - 1, differing);
      }
    }
    if (ref.prefillLogits() != null && x.prefillLogits() != null) {
      Set<Integer> differing = differingTokens(c, ref.prefillLogits(), x.prefillLogits(), 1, info.vocabSize(), tolerance);
      if (!differing.isEmpty()) return culprit(c, ref, info, layers - 1, differing);
    }
    return "";
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

  private static String culprit(ConformanceCase c, BackendTrace ref, ModelInfo info, int layer, Set<Integer> differing) {
    int j = info.moeLayers().indexOf(layer);
    if (j < 0) return "layer " + layer + " (attention or dense FFN; " + differing.size() + " tokens differ)";
    float[] router = ref.stepRouterLogits().get(0).get(j); // [B*S, E]
    int e = info.numExperts();
    int bestExpert = -1;
    int bestOverlap = -1;
    for (int expert = 0; expert < e; expert++) {
      int overlap = 0;
      for (int token : differing) {
        for (int chosen : Routing.topK(router, token * e, e, info.expertsPerToken())) {
          if (chosen == expert) overlap++;
        }
      }
      if (overlap > bestOverlap) {
        bestOverlap = overlap;
        bestExpert = expert;
      }
    }
    if (bestOverlap == differing.size()) {
      return "layer " + layer + " expert " + bestExpert + " (all " + differing.size() + " differing tokens routed to it)";
    }
    return "layer " + layer + " (" + differing.size() + " tokens differ, not explained by one expert: attention or router)";
  }

}
