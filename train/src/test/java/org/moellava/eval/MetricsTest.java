package org.moellava.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void normalisesCasePunctuationArticlesAndNumbers() {
    assertEquals("2", AnswerNormalizer.normalize("Two."));
    assertEquals("circle", AnswerNormalizer.normalize("The Circle!"));
    assertEquals("red square", AnswerNormalizer.normalize("  a red,  square "));
    assertTrue(AnswerNormalizer.matches("Yes.", "yes"));
    assertFalse(AnswerNormalizer.matches("yes", "no"));
  }

  @Test
  void vqaAccuracyOverallAndPerType() {
    List<VqaQuestion> qs = List.of(
        new VqaQuestion("1", "i", "colour", "q", "red"),
        new VqaQuestion("2", "i", "colour", "q", "green"),
        new VqaQuestion("3", "i", "count", "q", "two"),
        new VqaQuestion("4", "i", "count", "q", "three"),
        new VqaQuestion("5", "i", "count", "q", "four"));
    VqaResult r = VqaResult.score(qs, List.of("Red.", "blue", "2", "three", "one"));
    assertEquals(new Accuracy(3, 5), r.overall());
    assertEquals(0.6, r.overall().value(), 1e-12);
    assertEquals(new Accuracy(1, 2), r.perType().get("colour"));
    assertEquals(new Accuracy(2, 3), r.perType().get("count"));
  }

  @Test
  void popeMetricsOnAHandCountedCase() {
    List<Boolean> truth = List.of(true, true, true, true, false, false, false, false, false, false);
    List<YesNo> answers = List.of(YesNo.YES, YesNo.YES, YesNo.YES, YesNo.NO, YesNo.YES, YesNo.YES, YesNo.NO,
        YesNo.UNKNOWN, YesNo.NO, YesNo.NO);
    BinaryMetrics m = BinaryMetrics.of(truth, answers);
    // TP 3, FN 1, FP 2, TN 4 (one of them unknown)
    assertEquals(new BinaryMetrics(10, 3, 2, 4, 1, 1), m);
    assertEquals(0.7, m.accuracy(), 1e-12);
    assertEquals(0.6, m.precision(), 1e-12);
    assertEquals(0.75, m.recall(), 1e-12);
    assertEquals(2 * 0.6 * 0.75 / 1.35, m.f1(), 1e-12);
    assertEquals(0.5, m.yesRatio(), 1e-12);
  }

  @Test
  void parsesYesNoRobustly() {
    assertEquals(YesNo.YES, YesNo.parse("Yes"));
    assertEquals(YesNo.YES, YesNo.parse("yes, there is a circle."));
    assertEquals(YesNo.YES, YesNo.parse("There is a star in the image."));
    assertEquals(YesNo.NO, YesNo.parse("No."));
    assertEquals(YesNo.NO, YesNo.parse("There is no star in the image."));
    assertEquals(YesNo.NO, YesNo.parse("there isn't"));
    assertEquals(YesNo.NO, YesNo.parse("I don't see one. Yes."));
    assertEquals(YesNo.NO, YesNo.parse("no, yes"));
    assertEquals(YesNo.UNKNOWN, YesNo.parse("red"));
    assertEquals(YesNo.UNKNOWN, YesNo.parse(""));
    assertEquals(YesNo.UNKNOWN, YesNo.parse(null));
  }

  @Test
  void captionPrecisionRecallAndChair() {
    CaptionObjectParser parser = new CaptionObjectParser(Map.of("circle", "circle", "square", "square",
        "star", "star", "stars", "star", "ring", "ring", "triangle", "triangle", "hexagon", "hexagon"));
    assertEquals(Set.of("star", "ring"), parser.mentions("Two stars, and a ring."));
    CaptionResult r = CaptionResult.score(
        List.of(Set.of("circle", "triangle"), Set.of("star", "ring"), Set.of("hexagon")),
        List.of("a red circle and a blue square.", "two stars and a ring", "nothing here"), parser);
    // mentioned 2 + 2 + 0 = 4, present 2 + 2 + 1 = 5, correct 1 + 2 + 0 = 3, one caption hallucinates.
    assertEquals(new CaptionResult(3, 4, 5, 3, 1), r);
    assertEquals(0.75, r.precision(), 1e-12);
    assertEquals(0.6, r.recall(), 1e-12);
    assertEquals(2 * 0.75 * 0.6 / 1.35, r.f1(), 1e-12);
    assertEquals(0.25, r.chairInstance(), 1e-12);
    assertEquals(1.0 / 3, r.chairSentence(), 1e-12);
  }
}
