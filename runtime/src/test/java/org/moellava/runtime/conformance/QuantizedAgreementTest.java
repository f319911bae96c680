package org.moellava.runtime.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The quantized comparison: cosine and top-1 per position, routing with near ties apart, greedy prefixes, verdict. */
class QuantizedAgreementTest {
  static final QuantizedTolerance T = new QuantizedTolerance(0.99, 0.5, 0.6, 2.0, 0.05);

  @Test
  void countsNearTiesApartFromSameChoicesAndFlips() {
    QuantizedAgreement a = new QuantizedAgreement(T);
    // k = 2 of 4 experts. Same set; a near tie (reference prefers expert 1 over 2 by 0.05 <= 2 * 0.05 * 4 = 0.4);
    // a flip (expert 0 at 4.0 dropped for expert 3 at 0.0).
    float[] ref = {4, 1.05f, 1.0f, 0, 4, 1.05f, 1.0f, 0, 4, 1.05f, 1.0f, 0};
    float[] cand = {4, 1.05f, 1.0f, 0, 4, 1.0f, 1.1f, 0, 0, 1.05f, 1.0f, 4};
    for (int token = 0; token < 3; token++) a.routingRow(ref, cand, token * 4, 4, 2);
    QuantizedVerdict v = a.verdict();
    assertEquals(3, v.routedTokens());
    assertEquals(1, v.routingSame());
    assertEquals(1, v.routingNearTies());
    assertEquals(1, v.routingFlips());
    assertEquals(2.0 / 3, v.routingAgreement(), 1e-12);
  }

  @Test
  void routingIsAlsoCountedPerLayerWithNearTiesApart() {
    QuantizedAgreement a = new QuantizedAgreement(T);
    // the three tokens of the test above (same, near tie, flip) at layer 3, and two same choices at layer 1
    float[] ref = {4, 1.05f, 1.0f, 0, 4, 1.05f, 1.0f, 0, 4, 1.05f, 1.0f, 0};
    float[] cand = {4, 1.05f, 1.0f, 0, 4, 1.0f, 1.1f, 0, 0, 1.05f, 1.0f, 4};
    for (int token = 0; token < 3; token++) a.routingRow(3, ref, cand, token * 4, 4, 2);
    for (int token = 0; token < 2; token++) a.routingRow(1, ref, ref, token * 4, 4, 2);
    QuantizedVerdict v = a.verdict();
    assertEquals(5, v.routedTokens());
    assertEquals(2, v.routingPerLayer().size());
    QuantizedVerdict.LayerRouting first = v.routingPerLayer().get(0);
    QuantizedVerdict.LayerRouting second = v.routingPerLayer().get(1);
    assertEquals(List.of(1, 3), List.of(first.layer(), second.layer()), "layer order");
    assertEquals(List.of(2L, 2L, 0L, 0L), List.of(first.compared(), first.same(), first.nearTies(), first.flips()));
    assertEquals(1.0, first.agreement(), 1e-12);
    assertEquals(List.of(3L, 1L, 1L, 1L),
        List.of(second.compared(), second.same(), second.nearTies(), second.flips()));
    assertEquals(2.0 / 3, second.agreement(), 1e-12);
    assertEquals(1.0 / 3, second.exactAgreement(), 1e-12);
    assertEquals(4.0 / 5, v.routingAgreement(), 1e-12, "the totals include every layer");
  }

  @Test
  void logitsCosineTop1AndGreedyPrefixesMakeTheVerdict() {
    QuantizedAgreement a = new QuantizedAgreement(T);
    float[] ref = {1, 2, 3, 1, 2, 3};
    float[] cand = {1, 2, 3.01f, 1, 3.2f, 3}; // row 1: argmax moves to index 1
    a.logitsRow(ref, cand, 0, 3);
    a.logitsRow(ref, cand, 3, 3);
    a.greedy(List.of(5, 6, 7, 8), List.of(5, 6, 9, 8));
    a.greedy(List.of(5, 6, 7, 8), List.of(5, 6, 7, 8));
    QuantizedVerdict v = a.verdict();
    assertEquals(2, v.positions());
    assertEquals(0.5, v.top1Agreement(), 1e-12);
    assertTrue(v.minLogitsCosine() < 0.99 && v.minLogitsCosine() > 0.9, "cosine " + v.minLogitsCosine());
    assertEquals(List.of(2, 4), v.greedyPrefixes());
    assertEquals(1, v.greedyRowsEqual());
    assertEquals(3.0, v.meanGreedyPrefix(), 1e-12);
    assertFalse(v.passed());
    assertEquals(1, v.failures().size(), v.failures().toString());
    assertTrue(v.failures().get(0).startsWith("logits cosine "), v.failures().toString());
  }

  @Test
  void defaultsPerSchemeAndBadThresholds() {
    assertEquals(QuantizedTolerance.INT8, QuantizedTolerance.forBits(8));
    assertEquals(QuantizedTolerance.INT4, QuantizedTolerance.forBits(4));
    assertTrue(QuantizedTolerance.INT8.minLogitsCosine() > QuantizedTolerance.INT4.minLogitsCosine());
    assertThrows(IllegalArgumentException.class, () -> QuantizedTolerance.forBits(2));
    assertThrows(IllegalArgumentException.class, () -> new QuantizedTolerance(0.9, 1.5, 0.5, 1, 0.1));
  }
}
