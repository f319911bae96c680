package org.moellava.data.synth;

import org.moellava.data.Split;
import org.moellava.error.ConfigException;

/**
 * Settings of a synthetic world.
 *
 * @param seed world seed; everything generated is a pure function of it and the image index
 * @param imageSize image side in pixels (at least 16)
 * @param trainImages images in the training split
 * @param valImages images in the validation split
 * @param testImages images in the test split
 * @param textOnlyFraction text-only conversations per image, per split (e.g. 0.1)
 * @param minTurns fewest question-answer turns per conversation
 * @param maxTurns most question-answer turns per conversation
 */
public record SynthWorldConfig(long seed, int imageSize, int trainImages, int valImages, int testImages,
    double textOnlyFraction, int minTurns, int maxTurns) {

  public SynthWorldConfig {
    if (imageSize < 16) throw new ConfigException("synthetic image size must be at least 16, got " + imageSize);
    if (trainImages < 0 || valImages < 0 || testImages < 0) {
      throw new ConfigException("synthetic split sizes must not be negative");
    }
    if (textOnlyFraction < 0) throw new ConfigException("textOnlyFraction must not be negative");
    if (minTurns < 1 || maxTurns < minTurns) {
      throw new ConfigException("turns must satisfy 1 <= minTurns <= maxTurns, got " + minTurns + ".." + maxTurns);
    }
  }

  /** 64x64 images, 4000/500/500 images, 10% text-only, 5-10 turns. */
  public static SynthWorldConfig defaults(long seed) {
    return new SynthWorldConfig(seed, 64, 4000, 500, 500, 0.1, 5, 10);
  }

  /** The same world with other split sizes. */
  public SynthWorldConfig withSplits(int train, int val, int test) {
    return new SynthWorldConfig(seed, imageSize, train, val, test, textOnlyFraction, minTurns, maxTurns);
  }

  /** The same world with {@code split} holding {@code images} images; the other splits keep their sizes. */
  public SynthWorldConfig withSplitSize(Split split, int images) {
    return switch (split) {
      case TRAIN -> withSplits(images, valImages, testImages);
      case VAL -> withSplits(trainImages, images, testImages);
      case TEST -> withSplits(trainImages, valImages, images);
    };
  }

  /** The same world with another image size. */
  public SynthWorldConfig withImageSize(int size) {
    return new SynthWorldConfig(seed, size, trainImages, valImages, testImages, textOnlyFraction, minTurns, maxTurns);
  }
}
