package org.moellava.runtime.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The near-tie rule on hand-made rows; expected gaps and allowances worked out by hand. */
class NearTieTest {
  private static final Tolerance T = new Tolerance(1e-2); // allowance = 0.02 * max|row|

  @Test
  void sameSetInAnyOrderAgrees() {
    Decision d = NearTie.judge(new float[] {3, 2, 1, 0}, 0, 4, new int[] {0, 1}, new int[] {1, 0}, T);
    assertEquals(Decision.Kind.SAME, d.kind());
    assertEquals(0.06, d.allowance(), 1e-12);
  }

  @Test
  void gapIsTheReferencePreferenceTheChoiceOverturns() {
    float[] ref = {3, 2, 1, 0};
    // R = {0, 1}; X = {0, 2} drops 1 (2.0) for 2 (1.0); X = {0, 3} drops 1 (2.0) for 3 (0.0)
    assertEquals(1.0, NearTie.gap(ref, 0, new int[] {0, 1}, new int[] {0, 2}), 1e-12);
    assertEquals(2.0, NearTie.gap(ref, 0, new int[] {0, 1}, new int[] {0, 3}), 1e-12);
    // X = {2, 3} drops both: the largest dropped (3.0) against the smallest added (0.0)
    assertEquals(3.0, NearTie.gap(ref, 0, new int[] {0, 1}, new int[] {2, 3}), 1e-12);
    assertEquals(Double.NEGATIVE_INFINITY, NearTie.gap(ref, 0, new int[] {0, 1}, new int[] {1, 0}));
  }

  @Test
  void flipWithinTheReachOfToleranceIsANearTie() {
    // row max 2.0: allowance 0.04; experts 1 and 2 are 0.03 apart, 2 and 3 are 0.05 apart
    float[] ref = {2, 1.5f, 1.47f, 1.42f};
    Decision near = NearTie.judge(ref, 0, 4, new int[] {0, 1}, new int[] {0, 2}, T);
    assertEquals(Decision.Kind.NEAR_TIE, near.kind());
    assertEquals(0.03, near.gap(), 1e-6);
    assertEquals(0.04, near.allowance(), 1e-9);
    Decision far = NearTie.judge(ref, 0, 4, new int[] {0, 1}, new int[] {0, 3}, T);
    assertEquals(Decision.Kind.FLIP, far.kind());
    assertEquals(0.08, far.gap(), 1e-6);
  }

  @Test
  void allowanceScalesWithTheRowNotWithOtherRows() {
    float[] twoRows = {100, 0, 0, 0, /* row 1: */ 1, 0.99f, 0.5f, 0};
    assertEquals(0.02, NearTie.allowance(twoRows, 4, 4, T), 1e-12);
    assertEquals(Decision.Kind.NEAR_TIE,
        NearTie.judge(twoRows, 4, 4, new int[] {0}, new int[] {1}, T).kind()); // gap 0.01 <= 0.02
    assertEquals(Decision.Kind.FLIP,
        NearTie.judge(twoRows, 4, 4, new int[] {0}, new int[] {2}, T).kind()); // gap 0.5
  }

  @Test
  void aCloseBoundaryDoesNotExcuseAFarChoice() {
    // k = 1: the reference's margin (top-1 minus top-2) is 0.001, but the candidate chose index 2, 3.0 below
    float[] ref = {3, 2.999f, 0};
    assertEquals(0.001, NearTie.margin(ref, 0, 3, 1), 1e-6);
    Decision d = NearTie.judge(ref, 0, 3, new int[] {0}, new int[] {2}, T);
    assertEquals(Decision.Kind.FLIP, d.kind());
    assertEquals(3.0, d.gap(), 1e-12);
  }

  @Test
  void exactTiesAreNearTiesEvenWithZeroTolerance() {
    float[] zeros = new float[4];
    Decision d = NearTie.judge(zeros, 0, 4, new int[] {0, 1}, new int[] {2, 3}, new Tolerance(0));
    assertEquals(Decision.Kind.NEAR_TIE, d.kind());
    assertEquals(0.0, d.gap());
  }

  @Test
  void nanInTheReferenceRowMakesAnyDifferingChoiceAFlip() {
    float[] ref = {Float.NaN, 1, 0.999f};
    assertEquals(Decision.Kind.FLIP, NearTie.judge(ref, 0, 3, new int[] {1}, new int[] {2}, T).kind());
    assertEquals(Decision.Kind.SAME, NearTie.judge(ref, 0, 3, new int[] {1}, new int[] {1}, T).kind());
  }

  @Test
  void marginIsTheGapBetweenKthAndNextLargest() {
    assertEquals(1.0, NearTie.margin(new float[] {3, 2, 1, 0}, 0, 4, 2), 1e-9);
    assertEquals(1.0, NearTie.margin(new float[] {0, 1, 3, 2}, 0, 4, 2), 1e-9);
    assertEquals(0.0, NearTie.margin(new float[] {1, 1, 0}, 0, 3, 1));
    assertEquals(Double.POSITIVE_INFINITY, NearTie.margin(new float[] {1, 2}, 0, 2, 2));
  }

  @Test
  void sameSetIgnoresOrder() {
    assertTrue(NearTie.sameSet(new int[] {2, 0}, new int[] {0, 2}));
    assertFalse(NearTie.sameSet(new int[] {2, 0}, new int[] {0, 1}));
    assertFalse(NearTie.sameSet(new int[] {2}, new int[] {2, 0}));
  }
}
