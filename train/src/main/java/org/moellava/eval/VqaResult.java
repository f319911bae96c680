package org.moellava.eval;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.moellava.error.InvalidInputException;

/**
 * Exact-match VQA accuracy (after {@link AnswerNormalizer}), overall and per question type.
 *
 * @param overall all questions
 * @param perType per question type, sorted by type
 */
public record VqaResult(Accuracy overall, Map<String, Accuracy> perType) {
  public VqaResult {
    perType = new TreeMap<>(perType);
  }

  /** Scores {@code predictions[i]} against {@code questions[i]}. */
  public static VqaResult score(List<VqaQuestion> questions, List<String> predictions) {
    if (questions.size() != predictions.size()) {
      throw new InvalidInputException("VQA: " + questions.size() + " questions but " + predictions.size() + " predictions");
    }
    Accuracy overall = new Accuracy(0, 0);
    Map<String, Accuracy> perType = new TreeMap<>();
    for (int i = 0; i < questions.size(); i++) {
      boolean right = AnswerNormalizer.matches(predictions.get(i), questions.get(i).answer());
      overall = overall.plus(right);
      perType.merge(questions.get(i).type(), new Accuracy(right ? 1 : 0, 1),
          (a, b) -> new Accuracy(a.correct() + b.correct(), a.total() + b.total()));
    }
    return new VqaResult(overall, perType);
  }
}
