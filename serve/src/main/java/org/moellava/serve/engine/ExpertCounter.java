package org.moellava.serve.engine;

import org.moellava.tensor.TopK;
import java.nio.FloatBuffer;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;

/**
 * Reads the experts each MoE layer routed a position to out of a decoder call's {@code router_logits.{j}
 * [B * S, E]} (the top k, {@link TopK}: ties to the lower index): per generated token for the result, and per call as the
 * expert load reported to the {@link EngineObserver}.
 */
final class ExpertCounter {
  private final ModelInfo info;
  private final EngineObserver observer;

  ExpertCounter(ModelInfo info, EngineObserver observer) {
    this.info = info;
    this.observer = observer;
  }

  /** {@code [moeLayer][k]}: the experts, best first, of router row {@code row} ({@code b * S + s}). */
  int[][] routed(DecoderOutput out, int row) {
    int moeLayers = info.moeLayers().size();
    int[][] experts = new int[moeLayers][];
    for (int j = 0; j < moeLayers; j++) {
      experts[j] = topK(out.routerLogits().get(j), row);
    }
    return experts;
  }

  /**
   * Reports the expert load of one call on a left-padded batch of {@code seq} positions per row, where the
   * last {@code realPositions[b]} positions of row b are real: tokens per expert of each MoE layer, padding
   * not counted.
   */
  void reportLoad(DecoderOutput out, int seq, int[] realPositions) {
    long[][] load = new long[info.moeLayers().size()][info.numExperts()]; // [moeLayer][E]
    for (int j = 0; j < load.length; j++) {
      for (int b = 0; b < realPositions.length; b++) {
        for (int row = b * seq + seq - realPositions[b]; row < (b + 1) * seq; row++) {
          for (int e : topK(out.routerLogits().get(j), row)) {
            load[j][e]++;
          }
        }
      }
    }
    for (int j = 0; j < load.length; j++) {
      observer.expertLoad(info.moeLayers().get(j), load[j]);
    }
  }

  private int[] topK(FloatBuffer routerLogits, int row) {
    return TopK.of(routerLogits, row * info.numExperts(), info.numExperts(), info.expertsPerToken());
  }
}
