package org.moellava.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds POPE questions (Li et al. 2023): per image, up to {@code perImage} present objects (yes questions) and
 * as many absent objects (no questions), chosen by the {@link PopeSplit}. With fewer present or absent objects
 * than {@code perImage}, both sides shrink to the smaller count so every image stays balanced. Random choices
 * are seeded per image, so the question set is reproducible.
 */
public final class PopeSampler {
  private final ObjectStatistics statistics;
  private final int perImage;
  private final long seed;
  private final String questionFormat;

  /**
   * @param statistics object frequencies and co-occurrences (usually of the evaluated images themselves)
   * @param perImage positives (and negatives) per image; POPE uses 3
   * @param seed seed of the random choices
   * @param questionFormat question with one {@code %s} for the object, e.g. {@code "is there a %s in the image?"}
   */
  public PopeSampler(ObjectStatistics statistics, int perImage, long seed, String questionFormat) {
    this.statistics = statistics;
    this.perImage = perImage;
    this.seed = seed;
    this.questionFormat = questionFormat;
  }

  /** Questions about every image, positives then negatives per image. */
  public List<PopeQuestion> questions(List<AnnotatedImage> images, PopeSplit split) {
    List<PopeQuestion> out = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) out.addAll(questions(images.get(i), split, i));
    return out;
  }

  /** Questions about one image ({@code ordinal} seeds its random choices). */
  public List<PopeQuestion> questions(AnnotatedImage image, PopeSplit split, long ordinal) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + ordinal);
    List<String> present = new ArrayList<>(image.objects());
    List<String> absent = switch (split) {
      case RANDOM -> shuffled(statistics.absent(image.objects()), random);
      case POPULAR -> statistics.popularAbsent(image.objects());
      case ADVERSARIAL -> statistics.adversarialAbsent(image.objects());
    };
    int n = Math.min(perImage, Math.min(present.size(), absent.size()));
    List<String> positives = shuffled(present, random).subList(0, n);
    List<PopeQuestion> out = new ArrayList<>(2 * n);
    for (String o : positives) out.add(new PopeQuestion(image.imageId(), o, true, String.format(questionFormat, o)));
    for (String o : absent.subList(0, n)) {
      out.add(new PopeQuestion(image.imageId(), o, false, String.format(questionFormat, o)));
    }
    return out;
  }

  private static List<String> shuffled(List<String> items, SplittableRandom random) {
    List<String> copy = new ArrayList<>(items);
    for (int i = copy.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      String t = copy.get(i);
      copy.set(i, copy.get(j));
      copy.set(j, t);
    }
    return copy;
  }
}
