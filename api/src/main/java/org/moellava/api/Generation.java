package org.moellava.api;

import java.time.Duration;
import java.util.List;

/**
 * A finished generation.
 *
 * @param text the answer (end-of-sequence token left out, cut before a stop string)
 * @param tokenIds every generated token id, a final end-of-sequence token included
 * @param usage prompt and completion token counts
 * @param finishReason why it ended
 * @param routedExperts per generated token, {@code [moeLayer][k]}: the experts, best first, each MoE layer
 *     ({@link #moeLayers()} order) routed the position that produced the token to
 * @param moeLayers the decoder layers that are MoE layers, the first index of {@code routedExperts[t]}
 * @param timeToFirstToken from submission to the first token, or null if none was generated (cancelled while
 *     queued)
 * @param elapsed from submission to the end
 */
public record Generation(String text, int[] tokenIds, Usage usage, FinishReason finishReason,
    List<int[][]> routedExperts, List<Integer> moeLayers, Duration timeToFirstToken, Duration elapsed) {

  /**
   * Copies the lists.
   *
   * @param text see {@link #text()}
   * @param tokenIds see {@link #tokenIds()}
   * @param usage see {@link #usage()}
   * @param finishReason see {@link #finishReason()}
   * @param routedExperts see {@link #routedExperts()}
   * @param moeLayers see {@link #moeLayers()}
   * @param timeToFirstToken see {@link #timeToFirstToken()}
   * @param elapsed see {@link #elapsed()}
   */
  public Generation {
    routedExperts = List.copyOf(routedExperts);
    moeLayers = List.copyOf(moeLayers);
  }

  /**
   * Generated tokens per second of {@link #elapsed()} (prompt processing included).
   *
   * @return tokens per second, 0 if nothing was generated
   */
  public double tokensPerSecond() {
    double seconds = elapsed.toNanos() / 1e9;
    return usage.completionTokens() == 0 || seconds <= 0 ? 0 : usage.completionTokens() / seconds;
  }
}
