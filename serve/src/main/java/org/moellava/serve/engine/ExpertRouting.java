package org.moellava.serve.engine;

import java.nio.FloatBuffer;

/** The experts a router picks for one token: top-k of its logits, ties to the lower expert index. */
public final class ExpertRouting {
  private ExpertRouting() {}

  /**
   * Expert indices, best first.
   *
   * @param routerLogits buffer holding the row {@code [E]} at {@code offset}
   */
  public static int[] topK(FloatBuffer routerLogits, int offset, int numExperts, int k) {
    int[] chosen = new int[k];
    boolean[] taken = new boolean[numExperts];
    for (int i = 0; i < k; i++) {
      int best = -1;
      float bestValue = 0;
      for (int e = 0; e < numExperts; e++) {
        float value = routerLogits.get(offset + e);
        if (!taken[e] && (best < 0 || value > bestValue)) {
          best = e;
          bestValue = value;
        }
      }
      chosen[i] = best;
      taken[best] = true;
    }
    return chosen;
  }
}
