package org.moellava.data.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws scene contents. The object count is 1-4 (weights 2:3:3:2). The first shape follows {@link Shape#weight()};
 * each further object is, with probability {@link #COMPANION_PROBABILITY}, the companion of an object already
 * placed, otherwise drawn by weight again. Colours and sizes are uniform; slots are distinct and uniform.
 */
public final class SceneSampler {
  /** Probability that a further object is the companion of an earlier one. */
  public static final double COMPANION_PROBABILITY = 0.6;
  private static final int[] COUNT_WEIGHTS = {2, 3, 3, 2};

  private final int totalShapeWeight;

  public SceneSampler() {
    int total = 0;
    for (Shape s : Shape.values()) total += s.weight();
    this.totalShapeWeight = total;
  }

  /** The scene of image {@code index}, drawn from {@code random}. */
  public Scene sample(long index, SplittableRandom random) {
    int count = 1 + weightedIndex(COUNT_WEIGHTS, 10, random);
    Position[] slots = Position.values().clone();
    for (int i = slots.length - 1; i > 0; i--) { // Fisher-Yates
      int j = random.nextInt(i + 1);
      Position t = slots[i];
      slots[i] = slots[j];
      slots[j] = t;
    }
    List<SynthObject> objects = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Shape shape = i > 0 && random.nextDouble() < COMPANION_PROBABILITY
          ? objects.get(random.nextInt(i)).shape().companion()
          : weightedShape(random);
      Colour colour = Colour.values()[random.nextInt(Colour.values().length)];
      ObjectSize size = ObjectSize.values()[random.nextInt(ObjectSize.values().length)];
      objects.add(new SynthObject(shape, colour, size, slots[i]));
    }
    int background = 16 + random.nextInt(40);
    return new Scene(index, background, objects);
  }

  private Shape weightedShape(SplittableRandom random) {
    int r = random.nextInt(totalShapeWeight);
    for (Shape s : Shape.values()) {
      r -= s.weight();
      if (r < 0) return s;
    }
    throw new IllegalStateException("unreachable: weights sum to " + totalShapeWeight);
  }

  private static int weightedIndex(int[] weights, int total, SplittableRandom random) {
    int r = random.nextInt(total);
    for (int i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}
