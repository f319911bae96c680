package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.moellava.serve.engine.TinyModel.INFO;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.Tensors;

/** Routed experts and expert load of the tiny model: one MoE layer (decoder layer 1), E 4, k 2. */
class ExpertCounterTest {
  /** router_logits.0 [B * S, E] of a batch B 2, S 3; rows 0 and 1 are row 0's left padding. */
  private static final DecoderOutput OUT = new DecoderOutput(Tensors.floats(0), false, List.of(), List.of(),
      List.of(Tensors.floatsOf(new float[] {
          9, 0, 0, 0, // padding
          9, 8, 0, 0, // padding
          0, 5, 6, 0, // -> 2, 1
          1, 2, 3, 4, // -> 3, 2
          4, 0, 0, 3, // -> 0, 3
          0, 0, 7, 7}))); // -> 2, 3 (ties to the lower expert)

  @Test
  void routedExpertsAreTheTopKOfTheRow() {
    ExpertCounter counter = new ExpertCounter(INFO, EngineObserver.NONE);
    assertArrayEquals(new int[][] {{2, 1}}, counter.routed(OUT, 2));
    assertArrayEquals(new int[][] {{2, 3}}, counter.routed(OUT, 5));
  }

  @Test
  void loadCountsTheRealPositionsOnlyAndNamesTheDecoderLayer() {
    List<String> reports = new ArrayList<>();
    ExpertCounter counter = new ExpertCounter(INFO, new EngineObserver() {
      @Override
      public void expertLoad(int layer, long[] tokensPerExpert) {
        reports.add(layer + ":" + java.util.Arrays.toString(tokensPerExpert));
      }
    });
    counter.reportLoad(OUT, 3, new int[] {1, 3});
    assertEquals(List.of("1:[1, 1, 3, 3]"), reports);
  }
}
