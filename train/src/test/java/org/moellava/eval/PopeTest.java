package org.moellava.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.moellava.data.Split;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;

class PopeTest {
  // cat in 4 images, dog 2, fish 2, bird 1, frog 1, zebra never; fish co-occurs only with frog.
  private static final List<AnnotatedImage> IMAGES = List.of(
      new AnnotatedImage("A", Set.of("cat", "dog")),
      new AnnotatedImage("B", Set.of("cat", "dog")),
      new AnnotatedImage("C", Set.of("cat", "bird")),
      new AnnotatedImage("D", Set.of("fish", "frog")),
      new AnnotatedImage("E", Set.of("fish")),
      new AnnotatedImage("F", Set.of("cat")));
  private static final ObjectStatistics STATS = ObjectStatistics.of(IMAGES, Set.of("zebra"));

  @Test
  void statisticsCountImagesAndPairs() {
    assertEquals(4, STATS.frequency("cat"));
    assertEquals(0, STATS.frequency("zebra"));
    assertEquals(2, STATS.coOccurrence("cat", "dog"));
    assertEquals(1, STATS.coOccurrence("frog", "fish"));
    assertEquals(List.of("cat", "dog", "bird", "frog", "zebra"), STATS.popularAbsent(Set.of("fish")));
    assertEquals(List.of("frog", "bird", "cat", "dog", "zebra"), STATS.adversarialAbsent(Set.of("fish")));
    // {cat, bird}: dog co-occurs with cat twice; nothing else co-occurs with cat or bird.
    assertEquals("dog", STATS.adversarialAbsent(Set.of("cat", "bird")).get(0));
  }

  @Test
  void popularAndAdversarialPickWhatTheirDefinitionsSay() {
    PopeSampler sampler = new PopeSampler(STATS, 3, 1, "is there a %s in the image?");
    List<PopeQuestion> popular = sampler.questions(IMAGES.get(4), PopeSplit.POPULAR, 4);
    assertEquals(List.of(new PopeQuestion("E", "fish", true, "is there a fish in the image?"),
        new PopeQuestion("E", "cat", false, "is there a cat in the image?")), popular);
    List<PopeQuestion> adversarial = sampler.questions(IMAGES.get(4), PopeSplit.ADVERSARIAL, 4);
    assertEquals("frog", adversarial.get(1).object());
    // Image A {cat, dog}: 2 positives, most popular absent are fish (2) then bird (1; ties by name: bird < frog).
    List<PopeQuestion> a = sampler.questions(IMAGES.get(0), PopeSplit.POPULAR, 0);
    assertEquals(List.of("fish", "bird"), a.stream().filter(q -> !q.present()).map(PopeQuestion::object).toList());
  }

  @Test
  void negativesAreAbsentAndQuestionsBalanced() {
    for (long seed = 0; seed < 5; seed++) {
      PopeSampler sampler = new PopeSampler(STATS, 3, seed, "%s");
      for (PopeSplit split : PopeSplit.values()) {
        List<PopeQuestion> qs = sampler.questions(IMAGES, split);
        Map<String, int[]> perImage = new HashMap<>();
        for (PopeQuestion q : qs) {
          Set<String> objects = IMAGES.stream().filter(i -> i.imageId().equals(q.imageId())).findFirst().orElseThrow().objects();
          assertEquals(objects.contains(q.object()), q.present(), split + " " + q);
          perImage.computeIfAbsent(q.imageId(), k -> new int[2])[q.present() ? 0 : 1]++;
        }
        perImage.forEach((id, counts) -> assertEquals(counts[0], counts[1], "balanced " + id));
      }
    }
  }

  @Test
  void onTheSyntheticWorldNegativesAreAbsentShapesAndPopularIsMostFrequent() {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(2).withSplits(10, 10, 200));
    SyntheticBenchmark bench = new SyntheticBenchmark(world, Split.TEST);
    List<AnnotatedImage> images = bench.annotatedImages();
    ObjectStatistics stats = ObjectStatistics.of(images, SyntheticBenchmark.categories());
    Map<String, Integer> freq = new HashMap<>();
    for (AnnotatedImage img : images) img.objects().forEach(o -> freq.merge(o, 1, Integer::sum));
    PopeSampler sampler = new PopeSampler(stats, 3, 7, SyntheticBenchmark.POPE_FORMAT);
    for (int i = 0; i < images.size(); i++) {
      Set<String> shapes = new java.util.TreeSet<>();
      world.sample(Split.TEST, i).scene().objects().forEach(o -> shapes.add(o.shape().word()));
      for (PopeSplit split : PopeSplit.values()) {
        for (PopeQuestion q : sampler.questions(images.get(i), split, i)) {
          assertEquals(shapes.contains(q.object()), q.present());
        }
      }
      List<PopeQuestion> popular = sampler.questions(images.get(i), PopeSplit.POPULAR, i);
      String firstNegative = popular.stream().filter(q -> !q.present()).findFirst().orElseThrow().object();
      int best = SyntheticBenchmark.categories().stream().filter(c -> !shapes.contains(c))
          .mapToInt(c -> freq.getOrDefault(c, 0)).max().orElseThrow();
      assertEquals(best, (int) freq.getOrDefault(firstNegative, 0));
      assertFalse(shapes.contains(firstNegative));
    }
    // Skewed frequencies: the popular split asks about circles far more often than the random split does.
    long popularCircles = sampler.questions(images, PopeSplit.POPULAR).stream()
        .filter(q -> !q.present() && q.object().equals("circle")).count();
    long randomCircles = sampler.questions(images, PopeSplit.RANDOM).stream()
        .filter(q -> !q.present() && q.object().equals("circle")).count();
    assertTrue(popularCircles > randomCircles, popularCircles + " vs " + randomCircles);
  }
}
