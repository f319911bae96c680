package org.moellava.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.conformance.RoutingFlip;
import org.moellava.runtime.conformance.Tolerance;

/** The comparison rules on hand-built traces: tolerance, near-tie policy, greedy ties and the divergence locator. */
class PairComparisonTest {
  // 2 layers (layer 0 MoE, E=4, k=2), Hkv=1, hd=2, V=3; one row of 3 prompt tokens, no decode steps.
  private static final ModelInfo INFO = new ModelInfo(3, 2, 2, 1, 2, 16, 0, 2, 1, 0, List.of(0), 4, 2, 8, "t");
  private static final ConformanceCase CASE = new ConformanceCase("c", 1, 3, new long[] {5, 6, 7},
      new long[] {1, 1, 1}, null, 0);

  private static BackendTrace trace(float[] router, float[] keysLayer1, float[] logits) {
    float[] keys0 = {1, 2, 3, 4, 5, 6};
    List<List<float[]>> routers = new ArrayList<>();
    routers.add(List.of(router));
    float[] last = {logits[6], logits[7], logits[8]};
    return new BackendTrace(null, List.of(last), logits, List.of(keys0, keysLayer1), routers, new int[][] {{}});
  }

  private static final float[] ROUTER = {
      3, 2, 1, 0, // token 0: experts {0, 1}, margin 1
      0, 1, 2.00005f, 2, // token 1: experts {2, 3}, margin 1 (the near tie is inside the pair)
      1, 0.99995f, 0, 1.00002f}; // token 2: experts {3, 0}, expert 1 is 5e-5 behind expert 0: a near tie
  private static final float[] KEYS1 = {1, 1, 2, 2, 3, 3};
  private static final float[] LOGITS = {1, 2, 3, 4, 5, 6, 7, 8, 9};

  @Test
  void identicalTracesPass() {
    PairComparison cmp = new PairComparison("tf", "ort", INFO, Tolerance.FP32);
    cmp.add(CASE, trace(ROUTER, KEYS1, LOGITS), trace(ROUTER, KEYS1, LOGITS));
    PairReport r = cmp.report();
    assertEquals("passed", r.status(), r.reason());
    assertEquals(100.0, r.routingAgreement(), 1e-9);
    assertEquals(0, r.nearTieFlips());
  }

  @Test
  void flipWithinTheNearTieAllowanceIsANearTieAndPasses() {
    float[] other = ROUTER.clone();
    other[9] = 1.00003f; // token 2 now prefers expert 1 over expert 0 (reference gap 5e-5 <= 2 * 1e-3 * 1.00002)
    other[8] = 0.99990f;
    PairComparison cmp = new PairComparison("tf", "ort", INFO, new Tolerance(1e-3));
    cmp.add(CASE, trace(ROUTER, KEYS1, LOGITS), trace(other, KEYS1, LOGITS));
    PairReport r = cmp.report();
    assertEquals(1, r.nearTieFlips());
    assertEquals(0, r.hardFlips());
    assertEquals("passed", r.status(), r.reason());
  }

  @Test
  void flipBeyondTheNearTieAllowanceFailsAndIsListed() {
    float[] other = ROUTER.clone();
    other[2] = 5; // token 0 picks expert 2 although the reference prefers expert 1 by 1 (allowance 2 * 1e-4 * 3)
    PairComparison cmp = new PairComparison("tf", "ort", INFO, Tolerance.FP32);
    cmp.add(CASE, trace(ROUTER, KEYS1, LOGITS), trace(other, KEYS1, LOGITS));
    PairReport r = cmp.report();
    assertEquals("failed", r.status());
    assertEquals(1, r.hardFlips());
    RoutingFlip flip = r.flips().get(0);
    assertEquals(0, flip.layer());
    assertEquals(0, flip.position());
    assertEquals(1.0, flip.margin(), 1e-6);
    assertEquals(1.0, flip.gap(), 1e-6);
    assertEquals(6e-4, flip.allowance(), 1e-9);
    assertTrue(r.reason().contains("routing flips"), r.reason());
  }

  @Test
  void logitErrorBeyondToleranceFails() {
    float[] off = LOGITS.clone();
    off[4] += 0.01f; // 0.01 / 9 = 1.1e-3 relative
    PairComparison cmp = new PairComparison("tf", "ort", INFO, Tolerance.FP32);
    cmp.add(CASE, trace(ROUTER, KEYS1, LOGITS), trace(ROUTER, KEYS1, off));
    PairReport r = cmp.report();
    assertEquals("failed", r.status());
    assertEquals(0.01, r.logits().maxAbs(), 1e-6);
    assertFalse(r.reason().isEmpty());
  }

  @Test
  void divergenceInLayerOneKeysNamesTheExpertOfLayerZero() {
    // tokens 1 routed to {2, 3} and 2 routed to {3, 0}: a faulty expert 3 changes exactly these tokens' keys.
    float[] keys = KEYS1.clone();
    keys[2] += 0.5f;
    keys[4] += 0.5f;
    float[] logits = LOGITS.clone();
    logits[8] += 1;
    PairComparison cmp = new PairComparison("tf", "ort", INFO, Tolerance.FP32);
    cmp.add(CASE, trace(ROUTER, KEYS1, LOGITS), trace(ROUTER, keys, logits));
    PairReport r = cmp.report();
    assertEquals("failed", r.status());
    assertTrue(r.diagnosis().startsWith("layer 0 expert 3"), r.diagnosis());
  }
}
