package org.moellava.eval;

import java.util.List;
import java.util.Set;
import org.moellava.error.InvalidInputException;

/**
 * Object-level caption quality. Per caption, M is the set of mentioned categories and G the set present.
 * Precision = Σ|M∩G| / Σ|M|, recall = Σ|M∩G| / Σ|G| (micro-averaged over captions). CHAIR (Rohrbach et al.
 * 2018): CHAIR_i = Σ|M \ G| / Σ|M|, the share of mentioned objects that are hallucinated; CHAIR_s = the share
 * of captions with at least one hallucinated object.
 *
 * @param captions captions scored
 * @param mentioned Σ|M|
 * @param present Σ|G|
 * @param correct Σ|M∩G|
 * @param captionsWithHallucination captions with M \ G non-empty
 */
public record CaptionResult(int captions, int mentioned, int present, int correct, int captionsWithHallucination) {

  /** Scores {@code captions[i]} against the objects {@code present[i]}. */
  public static CaptionResult score(List<Set<String>> present, List<String> captions, CaptionObjectParser parser) {
    if (present.size() != captions.size()) {
      throw new InvalidInputException("captions: " + present.size() + " images but " + captions.size() + " captions");
    }
    int mentioned = 0, gt = 0, correct = 0, hallucinating = 0;
    for (int i = 0; i < captions.size(); i++) {
      Set<String> m = parser.mentions(captions.get(i));
      Set<String> g = present.get(i);
      int hit = (int) m.stream().filter(g::contains).count();
      mentioned += m.size();
      gt += g.size();
      correct += hit;
      if (hit < m.size()) hallucinating++;
    }
    return new CaptionResult(captions.size(), mentioned, gt, correct, hallucinating);
  }

  /** Σ|M∩G| / Σ|M|. */
  public double precision() {
    return mentioned == 0 ? 0.0 : (double) correct / mentioned;
  }

  /** Σ|M∩G| / Σ|G|. */
  public double recall() {
    return present == 0 ? 0.0 : (double) correct / present;
  }

  /** Harmonic mean of precision and recall. */
  public double f1() {
    double p = precision();
    double r = recall();
    return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
  }

  /** CHAIR_i: hallucinated mentions / mentions. */
  public double chairInstance() {
    return mentioned == 0 ? 0.0 : (double) (mentioned - correct) / mentioned;
  }

  /** CHAIR_s: captions with a hallucination / captions. */
  public double chairSentence() {
    return captions == 0 ? 0.0 : (double) captionsWithHallucination / captions;
  }
}
