package org.moellava.data.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.moellava.data.Split;
import org.moellava.image.RgbImage;

class SynthWorldTest {
  private static final SynthWorldConfig CONFIG = SynthWorldConfig.defaults(7).withSplits(300, 60, 60);

  @Test
  void sameSeedGivesTheSameWorldAndOtherSeedsDiffer() {
    SynthWorld a = new SynthWorld(CONFIG);
    SynthWorld b = new SynthWorld(CONFIG);
    SynthWorld c = new SynthWorld(SynthWorldConfig.defaults(8).withSplits(300, 60, 60));
    int differing = 0;
    for (int i = 0; i < 50; i++) {
      SynthSample sa = a.sample(Split.TRAIN, i);
      assertEquals(sa, b.sample(Split.TRAIN, i));
      assertEquals(a.render(sa.scene()), b.render(b.sample(Split.TRAIN, i).scene()));
      assertEquals(a.textOnly(Split.TRAIN, i % 30), b.textOnly(Split.TRAIN, i % 30));
      if (!sa.scene().equals(c.sample(Split.TRAIN, i).scene())) differing++;
    }
    assertTrue(differing > 40, "another seed must give other scenes, differing " + differing);
  }

  @Test
  void splitsNeverShareAnImage() {
    SynthWorld world = new SynthWorld(CONFIG);
    Map<Split, Set<String>> ids = new EnumMap<>(Split.class);
    Map<Split, Set<Integer>> pixels = new EnumMap<>(Split.class);
    for (Split split : Split.values()) {
      ids.put(split, new HashSet<>());
      pixels.put(split, new HashSet<>());
      for (int i = 0; i < world.size(split); i++) {
        SynthSample s = world.sample(split, i);
        assertEquals(split, s.split());
        assertTrue(ids.get(split).add(s.id()));
        pixels.get(split).add(Arrays.hashCode(world.render(s.scene()).rgb()));
      }
      for (int i = 0; i < world.textOnlySize(split); i++) assertTrue(ids.get(split).add(world.textOnly(split, i).id()));
    }
    for (Split x : Split.values()) {
      for (Split y : Split.values()) {
        if (x.ordinal() >= y.ordinal()) continue;
        Set<String> shared = new HashSet<>(ids.get(x));
        shared.retainAll(ids.get(y));
        assertTrue(shared.isEmpty(), x + "/" + y + " share ids " + shared);
        Set<Integer> sharedPixels = new HashSet<>(pixels.get(x));
        sharedPixels.retainAll(pixels.get(y));
        assertTrue(sharedPixels.isEmpty(), x + "/" + y + " share image content");
      }
    }
  }

  @Test
  void objectsAreDrawnInTheirSlotsWithoutOverlap() {
    SynthWorld world = new SynthWorld(CONFIG);
    int size = 64;
    for (int i = 0; i < 200; i++) {
      Scene scene = world.sample(Split.TRAIN, i).scene();
      assertTrue(scene.objects().size() >= 1 && scene.objects().size() <= 4);
      Set<Position> slots = new HashSet<>();
      for (SynthObject o : scene.objects()) assertTrue(slots.add(o.position()), "two objects in one slot");
      // Slot centres are 16 px apart; a large object reaches 0.11 * 64 = 7.04 px from its centre.
      for (SynthObject o : scene.objects()) {
        for (SynthObject p : scene.objects()) {
          if (o == p) continue;
          double d = Math.hypot((o.position().x() - p.position().x()) * size, (o.position().y() - p.position().y()) * size);
          assertTrue(d > (o.size() == ObjectSize.LARGE ? 7.04 : 4.16) + (p.size() == ObjectSize.LARGE ? 7.04 : 4.16));
        }
      }
      RgbImage image = world.render(scene);
      for (SynthObject o : scene.objects()) {
        if (o.shape() == Shape.RING) continue; // hollow centre
        int x = (int) (o.position().x() * size);
        int y = (int) (o.position().y() * size);
        int[] rgb = o.colour().rgb();
        for (int c = 0; c < 3; c++) {
          assertTrue(Math.abs(image.get(x, y, c) - rgb[c]) <= 12, "colour of " + o + " at its centre");
        }
      }
      int bg = scene.background();
      assertEquals(bg, image.get(0, 0, 0)); // corners are background
      assertEquals(bg, image.get(63, 63, 2));
    }
  }

  @Test
  void shapeFrequenciesAreSkewedAndCompanionsCoOccur() {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(3).withSplits(4000, 0, 0));
    Map<Shape, Integer> images = new EnumMap<>(Shape.class);
    int withStar = 0;
    int starAndCross = 0;
    int withCircle = 0;
    int circleAndCross = 0;
    for (int i = 0; i < 4000; i++) {
      Set<Shape> shapes = world.sample(Split.TRAIN, i).scene().shapes();
      for (Shape s : shapes) images.merge(s, 1, Integer::sum);
      if (shapes.contains(Shape.STAR)) {
        withStar++;
        if (shapes.contains(Shape.CROSS)) starAndCross++;
      }
      if (shapes.contains(Shape.CIRCLE)) {
        withCircle++;
        if (shapes.contains(Shape.CROSS)) circleAndCross++;
      }
    }
    assertTrue(images.get(Shape.CIRCLE) > 3 * images.get(Shape.HEXAGON), "frequencies " + images);
    double crossGivenStar = (double) starAndCross / withStar;
    double crossGivenCircle = (double) circleAndCross / withCircle;
    assertTrue(crossGivenStar > 2 * crossGivenCircle,
        "P(cross|star)=" + crossGivenStar + " vs P(cross|circle)=" + crossGivenCircle);
  }

  @Test
  void generationIsFast() {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(11).withSplits(20000, 0, 0));
    for (int i = 0; i < 500; i++) world.render(world.sample(Split.TRAIN, i).scene()); // warm-up
    int n = 3000;
    long start = System.nanoTime();
    long checksum = 0;
    for (int i = 0; i < n; i++) {
      SynthSample s = world.sample(Split.TRAIN, 500 + i);
      checksum += world.render(s.scene()).rgb()[100] + s.caption().length();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double perSecond = n / seconds;
    System.out.printf("synthetic generation: %.0f images/s (64x64, scene + caption + questions + pixels; checksum %d)%n",
        perSecond, checksum);
    assertTrue(perSecond > 300, "generation too slow: " + perSecond + " images/s");
  }

  @Test
  void withSplitSizeResizesOnlyThatSplit() {
    SynthWorldConfig base = SynthWorldConfig.defaults(1);
    assertEquals(base.withSplits(7, base.valImages(), base.testImages()), base.withSplitSize(Split.TRAIN, 7));
    assertEquals(base.withSplits(base.trainImages(), 7, base.testImages()), base.withSplitSize(Split.VAL, 7));
    assertEquals(base.withSplits(base.trainImages(), base.valImages(), 7), base.withSplitSize(Split.TEST, 7));
  }

  /** The training split asks more of the questions that need an object found by its attributes; test stays uniform. */
  @Test
  void trainingSplitDrawsMorePositionQuestionsThanTheTestSplit() {
    SynthWorld world = new SynthWorld(CONFIG);
    double train = share(world, Split.TRAIN, QuestionType.POSITION);
    double test = share(world, Split.TEST, QuestionType.POSITION);
    // 1.38x here, not the 3x of the weights: a scene has few distinct position questions and none is asked twice
    assertTrue(train > 1.2 * test, "position questions: train " + train + ", test " + test);
    assertTrue(test > 0.05, "the test split lost its position questions: " + test);
  }

  private static double share(SynthWorld world, Split split, QuestionType type) {
    int hits = 0;
    int all = 0;
    for (int i = 0; i < 60; i++) {
      for (QaPair qa : world.sample(split, i).conversation()) {
        all++;
        if (qa.type() == type) hits++;
      }
    }
    return (double) hits / all;
  }

  @Test
  void conversationsHaveTheConfiguredTurns() {
    SynthWorld world = new SynthWorld(CONFIG);
    for (int i = 0; i < 100; i++) {
      List<QaPair> conv = world.sample(Split.VAL, i % 60).conversation();
      assertTrue(conv.size() >= CONFIG.minTurns() && conv.size() <= CONFIG.maxTurns(), "turns " + conv.size());
      assertEquals(conv.size(), new HashSet<>(conv.stream().map(QaPair::question).toList()).size());
    }
    assertNotEquals(0, world.textOnlySize(Split.TRAIN));
    assertFalse(world.textOnly(Split.TRAIN, 0).conversation().isEmpty());
  }
}
