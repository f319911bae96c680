package org.moellava.eval;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.moellava.image.RgbImage;

/**
 * Runs the VQA, POPE and caption protocols. Every question is asked on its own (single turn); a
 * {@link BatchAnswerer} gets all of a protocol's questions in one call so it can batch them.
 */
public final class Protocols {
  private Protocols() {}

  /** Asks every question and scores the answers. {@code images} maps an image id to its pixels. */
  public static VqaResult vqa(Answerer answerer, List<VqaQuestion> questions, Function<String, RgbImage> images) {
    List<BatchAnswerer.Query> queries = new ArrayList<>(questions.size());
    for (VqaQuestion q : questions) {
      queries.add(new BatchAnswerer.Query(q.imageId() == null ? null : images.apply(q.imageId()), q.question()));
    }
    return VqaResult.score(questions, BatchAnswerer.of(answerer).answerAll(queries));
  }

  /** Asks the POPE questions of each split and scores the parsed yes/no answers. */
  public static Map<PopeSplit, BinaryMetrics> pope(Answerer answerer, Map<PopeSplit, List<PopeQuestion>> questions,
      Function<String, RgbImage> images) {
    Map<PopeSplit, BinaryMetrics> out = new EnumMap<>(PopeSplit.class);
    for (Map.Entry<PopeSplit, List<PopeQuestion>> e : questions.entrySet()) {
      List<Boolean> truth = new ArrayList<>();
      List<BatchAnswerer.Query> queries = new ArrayList<>();
      for (PopeQuestion q : e.getValue()) {
        truth.add(q.present());
        queries.add(new BatchAnswerer.Query(images.apply(q.imageId()), q.question()));
      }
      List<YesNo> answers = new ArrayList<>();
      for (String a : BatchAnswerer.of(answerer).answerAll(queries)) answers.add(YesNo.parse(a));
      out.put(e.getKey(), BinaryMetrics.of(truth, answers));
    }
    return out;
  }

  /** Captions every image and scores the objects mentioned against the objects present. */
  public static CaptionResult captions(ImageCaptioner captioner, List<AnnotatedImage> annotated,
      Function<String, RgbImage> images, CaptionObjectParser parser) {
    List<RgbImage> pixels = new ArrayList<>(annotated.size());
    List<java.util.Set<String>> present = new ArrayList<>(annotated.size());
    for (AnnotatedImage a : annotated) {
      pixels.add(images.apply(a.imageId()));
      present.add(a.objects());
    }
    return CaptionResult.score(present, captioner.captionAll(pixels), parser);
  }

  /** POPE questions for all three splits. */
  public static Map<PopeSplit, List<PopeQuestion>> popeQuestions(PopeSampler sampler, List<AnnotatedImage> images) {
    Map<PopeSplit, List<PopeQuestion>> out = new EnumMap<>(PopeSplit.class);
    for (PopeSplit split : PopeSplit.values()) out.put(split, sampler.questions(images, split));
    return out;
  }
}
