package org.moellava.eval;

import java.util.ArrayList;
import java.util.List;
import org.moellava.image.RgbImage;

/** An {@link Answerer} that answers many questions at once (a model batches them); the protocols use this form. */
public interface BatchAnswerer extends Answerer {

  /**
   * One question.
   *
   * @param image the image, or null for a text-only question
   * @param question the question text, without {@code <image>}
   */
  record Query(RgbImage image, String question) {}

  /** The answers to {@code queries}, in order. */
  List<String> answerAll(List<Query> queries);

  @Override
  default String answer(RgbImage image, String question) {
    return answerAll(List.of(new Query(image, question))).get(0);
  }

  /** {@code answerer} itself when it batches, otherwise a wrapper asking one question at a time. */
  static BatchAnswerer of(Answerer answerer) {
    if (answerer instanceof BatchAnswerer b) return b;
    return queries -> {
      List<String> out = new ArrayList<>(queries.size());
      for (Query q : queries) out.add(answerer.answer(q.image(), q.question()));
      return out;
    };
  }
}
