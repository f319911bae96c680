package org.moellava.eval;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.moellava.image.RgbImage;

/** Runs the VQA and POPE protocols against an {@link Answerer}. Every question is asked on its own (single turn). */
public final class Protocols {
  private Protocols() {}

  /** Asks every question and scores the answers. {@code images} maps an image id to its pixels. */
  public static VqaResult vqa(Answerer answerer, List<VqaQuestion> questions, Function<String, RgbImage> images) {
    List<String> predictions = new ArrayList<>(questions.size());
    for (VqaQuestion q : questions) {
      predictions.add(answerer.answer(q.imageId() == null ? null : images.apply(q.imageId()), q.question()));
    }
    return VqaResult.score(questions, predictions);
  }

  /** Asks the POPE questions of each split and scores the parsed yes/no answers. */
  public static Map<PopeSplit, BinaryMetrics> pope(Answerer answerer, Map<PopeSplit, List<PopeQuestion>> questions,
      Function<String, RgbImage> images) {
    Map<PopeSplit, BinaryMetrics> out = new EnumMap<>(PopeSplit.class);
    for (Map.Entry<PopeSplit, List<PopeQuestion>> e : questions.entrySet()) {
      List<Boolean> truth = new ArrayList<>();
      List<YesNo> answers = new ArrayList<>();
      for (PopeQuestion q : e.getValue()) {
        truth.add(q.present());
        answers.add(YesNo.parse(answerer.answer(images.apply(q.imageId()), q.question())));
      }
      out.put(e.getKey(), BinaryMetrics.of(truth, answers));
    }
    return out;
  }

  /** POPE questions for all three splits. */
  public static Map<PopeSplit, List<PopeQuestion>> popeQuestions(PopeSampler sampler, List<AnnotatedImage> images) {
    Map<PopeSplit, List<PopeQuestion>> out = new EnumMap<>(PopeSplit.class);
    for (PopeSplit split : PopeSplit.values()) out.put(split, sampler.questions(images, split));
    return out;
  }
}
