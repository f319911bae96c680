package org.moellava.runtime.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.moellava.tensor.TensorValue;

/** Routing, greedy and divergence bookkeeping of one decoder call, on hand-made router logits (E = 3, k = 1). */
class RoutingComparisonTest {
  private static final Tolerance T = new Tolerance(1e-2);

  // 2 rows x 3 tokens, layers 0 and 2; rows of [E=3]
  private static final float[] LAYER0 = {
      1, 0, 0, /**/ 1, 0.995f, 0, /**/ 1, 0, 0, // row 0: token 1 is a near tie between experts 0 and 1
      0, 1, 0, /**/ 0, 1, 0, /**/ 0, 0, 1};
  private static final float[] LAYER2 = {
      2, 0, 0, /**/ 2, 0, 0, /**/ 2, 0, 0,
      0, 0, 2, /**/ 0, 0, 2, /**/ 0, 2, 0};

  @Test
  void nearTieFlipMarksTheRowAndLaterComparisonsOfItAreSkipped() {
    float[] x0 = LAYER0.clone();
    x0[3] = 0.99f; // row 0 token 1 now prefers expert 1 (reference gap 0.005 <= allowance 0.02)
    x0[4] = 1.0f;
    float[] x2 = LAYER2.clone();
    x2[1 * 3 + 1] = 5; // row 0 token 1 at layer 2 is wildly off, but the row diverged at token 1 already
    x2[5 * 3 + 0] = 5; // row 1 token 2 at layer 2: a real flip, 2.0 away with an allowance of 0.04
    RowDivergence div = new RowDivergence(2);
    RoutingComparison r = new RoutingComparison(T, 3, 1, 5);
    r.compareCall("c", 0, List.of(0, 2), List.of(LAYER0, LAYER2), List.of(x0, x2), 3, 0, t -> true, div);

    // layer 0: row 0 tokens 0 and 1 (token 2 follows the near tie), row 1 all three
    assertEquals(5, r.tally(0).compared());
    assertEquals(1, r.tally(0).nearTies());
    assertEquals(4, r.tally(0).same());
    // layer 2: row 0 token 0 only, row 1 all three
    assertEquals(4, r.tally(2).compared());
    assertEquals(1, r.tally(2).flips());
    assertEquals(3, div.excluded()); // layer 0 row 0 token 2; layer 2 row 0 tokens 1 and 2
    assertFalse(div.live(0, 1));
    assertTrue(div.live(0, 0));
    assertTrue(div.live(1, 99));

    RoutingFlip flip = r.flips().get(0);
    assertEquals(2, flip.layer());
    assertEquals(1, flip.row());
    assertEquals(2, flip.position());
    assertArrayEquals(new int[] {1}, flip.reference());
    assertArrayEquals(new int[] {0}, flip.actual());
    assertEquals(2.0, flip.gap(), 1e-9);
    assertEquals(2.0, flip.margin(), 1e-9);
    assertEquals(0.04, flip.allowance(), 1e-9);
    assertEquals(100.0 * 7 / 9, r.total().agreement(), 1e-9);
  }

  @Test
  void routerLogitsAreJudgedPerTokenAgainstEachTokensScale() {
    float[] x2 = LAYER2.clone();
    x2[1] += 0.01f; // row 0 token 0: 0.01 off a row whose largest magnitude is 2
    RowDivergence div = new RowDivergence(2);
    RoutingComparison r = new RoutingComparison(T, 3, 1, 5);
    r.compareCall("c", 0, List.of(0, 2), List.of(LAYER0, LAYER2), List.of(LAYER0, x2), 3, 0, t -> true, div);
    assertEquals(0.005, r.routerLogits().get(2).maxRel(), 1e-6);
    assertEquals(0.0, r.routerLogits().get(0).maxRel());
    assertEquals(18, r.routerLogits().get(0).elements()); // 6 tokens x 3 experts
  }

  @Test
  void paddingAndLaterCallsUseThePredicateAndPositions() {
    RowDivergence div = new RowDivergence(2);
    div.flipAt(1, 4);
    RoutingComparison r = new RoutingComparison(T, 3, 1, 5);
    // a decode call (seq 1) at position 4: row 1 is diverged there, row 0 is compared
    float[] ref = {1, 0, 0, 0, 1, 0};
    r.compareCall("c", 2, List.of(0), List.of(ref), List.of(ref), 1, 4, t -> true, div);
    assertEquals(1, r.tally(0).compared());
    // the prefill with the first token of each row as padding
    RoutingComparison p = new RoutingComparison(T, 3, 1, 5);
    p.compareCall("c", 0, List.of(0), List.of(LAYER0), List.of(LAYER0), 3, 0, t -> t % 3 != 0, new RowDivergence(2));
    assertEquals(4, p.tally(0).compared());
  }

  @Test
  void greedyTokensUseTheSameRule() {
    // logits [B=3, V=4]; the reference's tokens are 0, 1, 3
    float[] logits = {5, 4.95f, 0, 0, /**/ 0, 5, 0, 4, /**/ 0, 0, 0, 0};
    DecisionTally tally = new DecisionTally();
    RowDivergence div = new RowDivergence(3);
    GreedyComparison.compare(logits, 4, b -> b * 4, 7, new int[] {0, 1, 3}, new int[] {1, 3, 2}, T, div, tally);
    // row 0: gap 0.05 <= 0.1 near tie; row 1: gap 1 > 0.1 flip; row 2: exact tie, near tie
    assertEquals(2, tally.nearTies());
    assertEquals(1, tally.flips());
    div.flipAt(2, 7);
    DecisionTally after = new DecisionTally();
    GreedyComparison.compare(logits, 4, b -> b * 4, 7, new int[] {0, 1, 3}, new int[] {0, 1, 2}, T, div, after);
    assertEquals(2, after.compared());
    assertEquals(2, after.same());
  }

  @Test
  void tensorDiffRowsAndShapes() {
    TensorValue ref = new TensorValue(new long[] {2, 2}, new float[] {10, 0, 1, 0});
    TensorValue x = new TensorValue(new long[] {2, 2}, new float[] {10, 0, 1.1f, 0});
    assertEquals(0.1 / 10, TensorDiff.of(x, ref).maxRel(), 1e-6); // whole tensor: against 10
    assertEquals(0.1, TensorDiff.rows(x, ref, r -> true).maxRel(), 1e-6); // row 1 against its own 1
    assertEquals(0.0, TensorDiff.rows(x, ref, r -> r == 0).maxRel());
    assertEquals(TensorDiff.INCOMPARABLE, TensorDiff.of(new TensorValue(new long[] {4}, x.data()), ref));
    TensorValue nan = new TensorValue(new long[] {2, 2}, new float[] {10, Float.NaN, 1, 0});
    assertFalse(TensorDiff.of(nan, ref).within(new Tolerance(1e9)));
    assertTrue(TensorDiff.of(ref, ref).within(new Tolerance(0)));
  }
}
