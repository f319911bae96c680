package org.moellava.data.synth;

import java.util.ArrayList;
import java.util.List;
import org.moellava.data.ConversationDataset;
import org.moellava.data.LlavaDatasetWriter;
import org.moellava.data.LlavaEntry;
import org.moellava.data.Split;
import org.moellava.data.Turn;
import org.moellava.image.RgbImage;

/**
 * The synthetic world as LLaVA-format datasets, generated lazily (images are rendered on access):
 * {@link #captions} for stage I (human turn {@code <image>}, gpt turn the caption) and {@link #instructions}
 * for stages II-III (each image's multi-turn conversation, description requests for a quarter of the images, then
 * the split's text-only conversations).
 */
public final class SynthDatasets {
  private SynthDatasets() {}

  /** Caption entries of {@code split}, one per image. */
  public static ConversationDataset captions(SynthWorld world, Split split) {
    return new ConversationDataset() {
      @Override
      public int size() {
        return world.size(split);
      }

      @Override
      public LlavaEntry entry(int i) {
        SynthSample s = world.sample(split, i);
        return new LlavaEntry(s.id(), LlavaDatasetWriter.imagePathFor(s.id()),
            List.of(Turn.human(Turn.IMAGE_PLACEHOLDER), Turn.gpt(s.caption())));
      }

      @Override
      public RgbImage image(int i) {
        return world.render(world.sample(split, i).scene());
      }
    };
  }

  /** One in this many images also gets a single-turn description conversation in the instruction data. */
  public static final int DESCRIBE_EVERY = 4;

  /** Description conversations of a split with {@code images} images: images 0, 4, 8, ... */
  public static int describeCount(int images) {
    return (images + DESCRIBE_EVERY - 1) / DESCRIBE_EVERY;
  }

  /**
   * Instruction entries of {@code split}: image conversations first, then single-turn description conversations
   * ({@link Captioner#REQUEST} answered with the caption, id {@code <image id>-describe}) for every
   * {@link #DESCRIBE_EVERY}-th image, as LLaVA's instruction data mixes detailed descriptions with questions,
   * then text-only ones.
   */
  public static ConversationDataset instructions(SynthWorld world, Split split) {
    int images = world.size(split);
    int describe = describeCount(images);
    return new ConversationDataset() {
      @Override
      public int size() {
        return images + describe + world.textOnlySize(split);
      }

      @Override
      public LlavaEntry entry(int i) {
        if (i >= images + describe) {
          SynthWorld.TextOnlySample t = world.textOnly(split, i - images - describe);
          return new LlavaEntry(t.id(), null, turns(t.conversation(), false));
        }
        if (i >= images) {
          SynthSample s = world.sample(split, (i - images) * DESCRIBE_EVERY);
          return new LlavaEntry(s.id() + "-describe", LlavaDatasetWriter.imagePathFor(s.id()),
              List.of(Turn.human(Turn.IMAGE_PLACEHOLDER + "\n" + Captioner.REQUEST), Turn.gpt(s.caption())));
        }
        SynthSample s = world.sample(split, i);
        return new LlavaEntry(s.id(), LlavaDatasetWriter.imagePathFor(s.id()), turns(s.conversation(), true));
      }

      @Override
      public RgbImage image(int i) {
        if (i >= images + describe) return null;
        int index = i >= images ? (i - images) * DESCRIBE_EVERY : i;
        return world.render(world.sample(split, index).scene());
      }
    };
  }

  /** LLaVA turns of a conversation; with an image, the first question is prefixed by {@code <image>\n}. */
  static List<Turn> turns(List<QaPair> conversation, boolean withImage) {
    List<Turn> turns = new ArrayList<>(conversation.size() * 2);
    for (int i = 0; i < conversation.size(); i++) {
      QaPair qa = conversation.get(i);
      String question = i == 0 && withImage ? Turn.IMAGE_PLACEHOLDER + "\n" + qa.question() : qa.question();
      turns.add(Turn.human(question));
      turns.add(Turn.gpt(qa.answer()));
    }
    return turns;
  }
}
