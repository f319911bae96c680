package org.moellava.data.synth;

import java.util.List;
import java.util.SplittableRandom;
import org.moellava.data.Split;
import org.moellava.error.InvalidInputException;
import org.moellava.image.RgbImage;

/**
 * A seeded, deterministic world of synthetic images with captions and conversations. Image {@code i} of a
 * split has a global index (train first, then val, then test), so splits never share an image; everything
 * about an image is a pure function of the world seed and that index, and any image can be made on its own.
 */
public final class SynthWorld {
  private static final long STREAM_SCENE = 0x5CE7E_0001L;
  private static final long STREAM_RENDER = 0x5CE7E_0002L;
  private static final long STREAM_TEXT = 0x5CE7E_0003L;

  private final SynthWorldConfig config;
  private final SceneSampler sampler = new SceneSampler();
  private final SceneRenderer renderer;
  private final Captioner captioner = new Captioner();
  private final QuestionGenerator questions = new QuestionGenerator();
  private final TextOnlyConversations textOnly = new TextOnlyConversations();

  public SynthWorld(SynthWorldConfig config) {
    this.config = config;
    this.renderer = new SceneRenderer(config.imageSize(), config.imageSize());
  }

  /** The settings. */
  public SynthWorldConfig config() {
    return config;
  }

  /** The renderer (image geometry). */
  public SceneRenderer renderer() {
    return renderer;
  }

  /** Images in {@code split}. */
  public int size(Split split) {
    return switch (split) {
      case TRAIN -> config.trainImages();
      case VAL -> config.valImages();
      case TEST -> config.testImages();
    };
  }

  /** Text-only conversations in {@code split}. */
  public int textOnlySize(Split split) {
    return (int) Math.round(size(split) * config.textOnlyFraction());
  }

  /** Global index of image {@code i} of {@code split}. */
  public long globalIndex(Split split, int i) {
    if (i < 0 || i >= size(split)) {
      throw new InvalidInputException("image " + i + " is outside split " + split.label() + " of size " + size(split));
    }
    return switch (split) {
      case TRAIN -> i;
      case VAL -> (long) config.trainImages() + i;
      case TEST -> (long) config.trainImages() + config.valImages() + i;
    };
  }

  /** Image {@code i} of {@code split}: scene, caption, conversation. */
  public SynthSample sample(Split split, int i) {
    long index = globalIndex(split, i);
    SplittableRandom random = new SplittableRandom(mix(config.seed(), index, STREAM_SCENE));
    Scene scene = sampler.sample(index, random);
    String caption = captioner.caption(scene, random);
    int turns = config.minTurns() + random.nextInt(config.maxTurns() - config.minTurns() + 1);
    List<QaPair> conversation = questions.questions(scene, turns, random,
        split == Split.TRAIN ? QuestionGenerator.TRAINING : QuestionGenerator.UNIFORM);
    return new SynthSample("synth-" + index, split, scene, caption, conversation);
  }

  /** The pixels of a scene (deterministic: the colour jitter is seeded by the world seed and image index). */
  public RgbImage render(Scene scene) {
    return renderer.render(scene, new SplittableRandom(mix(config.seed(), scene.index(), STREAM_RENDER)));
  }

  /** Text-only conversation {@code i} of {@code split}; its id is {@code synth-text-<global index>}. */
  public TextOnlySample textOnly(Split split, int i) {
    int n = textOnlySize(split);
    if (i < 0 || i >= n) {
      throw new InvalidInputException("text-only conversation " + i + " is outside split " + split.label() + " of size " + n);
    }
    long offset = switch (split) {
      case TRAIN -> 0;
      case VAL -> textOnlySize(Split.TRAIN);
      case TEST -> (long) textOnlySize(Split.TRAIN) + textOnlySize(Split.VAL);
    };
    long index = offset + i;
    SplittableRandom random = new SplittableRandom(mix(config.seed(), index, STREAM_TEXT));
    int turns = config.minTurns() + random.nextInt(config.maxTurns() - config.minTurns() + 1);
    return new TextOnlySample("synth-text-" + index, split, textOnly.conversation(turns, random));
  }

  /** A text-only conversation. */
  public record TextOnlySample(String id, Split split, List<QaPair> conversation) {
    public TextOnlySample {
      conversation = List.copyOf(conversation);
    }
  }

  /** SplitMix64 finaliser over (seed, index, stream): independent, well-mixed per-image seeds. */
  static long mix(long seed, long index, long stream) {
    long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + stream * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
