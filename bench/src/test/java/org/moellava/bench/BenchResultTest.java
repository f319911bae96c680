package org.moellava.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.moellava.config.Presets;
import org.moellava.error.InvalidInputException;

class BenchResultTest {
  @Test
  void ratioTargetsAreJudgedInTheirDirection() {
    assertTrue(new BenchResult.Ratio("a", 0.6, 0.65, true).met());
    assertFalse(new BenchResult.Ratio("a", 0.7, 0.65, true).met());
    assertTrue(new BenchResult.Ratio("b", 3.2, 3.0, false).met());
    assertFalse(new BenchResult.Ratio("b", 2.9, 3.0, false).met());
    assertTrue(new BenchResult.Ratio("c", 9, Double.NaN, true).met());
  }

  @Test
  void tableAndJsonCarryEveryFigure() {
    BenchResult r = new BenchResult("moe", "test machine", List.of(new BenchResult.Figure("layer sparse", 1.5, "ms")),
        List.of(new BenchResult.Ratio("sparse / masked", 0.7, 0.65, true)));
    assertTrue(r.table().contains("MISSED"), r.table());
    assertTrue(r.toJson().contains("\"layer sparse\""), r.toJson());
  }

  @Test
  void sideBySideMediansFollowTheWork() {
    double[] ms = SideBySide.medianMillis(1, 5, List.of(() -> sleep(1), () -> sleep(40)));
    assertTrue(ms[1] >= 40, "a 40 ms sleep measured " + ms[1] + " ms");
    assertTrue(ms[0] >= 1 && ms[0] < ms[1], ms[0] + " vs " + ms[1]);
  }

  @Test
  void kvBenchNeedsContextBeyond1024() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> KvBench.run(Presets.get("tiny"), 1));
    assertEquals("bench kv needs max_position_embeddings > 1024, the config has 256", e.getMessage());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
