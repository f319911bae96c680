package org.moellava.data.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.moellava.data.ConversationDataset;
import org.moellava.data.LlavaEntry;
import org.moellava.data.Split;
import org.moellava.data.Turn;

/** Description requests in the instruction data, and POPE-like existence negatives. */
class SynthInstructionsTest {
  private static final SynthWorld WORLD = new SynthWorld(SynthWorldConfig.defaults(3).withSplits(10, 37, 0));

  @Test
  void everyDescriptionRequestIsAnsweredWithItsImagesCaption() {
    ConversationDataset data = SynthDatasets.instructions(WORLD, Split.VAL);
    int requests = 0;
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < data.size(); i++) {
      LlavaEntry e = data.entry(i);
      assertTrue(ids.add(e.id()), "duplicate id " + e.id());
      List<Turn> turns = e.conversations();
      boolean request = turns.get(0).value().endsWith(Captioner.REQUEST);
      for (int t = 2; t < turns.size(); t += 2) assertFalse(turns.get(t).value().contains(Captioner.REQUEST));
      if (!request) continue;
      requests++;
      assertEquals(2, turns.size());
      assertEquals(Turn.IMAGE_PLACEHOLDER + "\n" + Captioner.REQUEST, turns.get(0).value());
      int image = Integer.parseInt(e.id().replace("synth-", "").replace("-describe", "")) - 10; // VAL starts at 10
      SynthSample s = WORLD.sample(Split.VAL, image);
      assertEquals(s.caption(), turns.get(1).value());
      assertEquals("synth-" + (10 + image) + "-describe", e.id());
      assertArrayEquals(WORLD.render(s.scene()).rgb(), data.image(i).rgb());
    }
    assertEquals(10, requests); // images 0, 4, ..., 36 of 37
    assertEquals(37 + 10 + WORLD.textOnlySize(Split.VAL), data.size());
  }

  @Test
  void existenceAnswersAreBalancedAndNegativesIncludeHardOnes() {
    QuestionGenerator generator = new QuestionGenerator();
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(4).withSplits(2000, 0, 0));
    SplittableRandom random = new SplittableRandom(1);
    int yes = 0;
    int no = 0;
    int companionNegatives = 0;
    int shapeNegatives = 0;
    for (int i = 0; i < 2000; i++) {
      Scene scene = world.sample(Split.TRAIN, i).scene();
      QaPair qa = generator.ask(QuestionType.EXISTENCE, scene, random);
      String name = qa.question().substring("is there a ".length(), qa.question().length() - 1);
      String[] words = name.split(" ");
      Shape shape = Shape.fromWord(words[words.length - 1]);
      Colour colour = words.length == 2 ? Colour.fromWord(words[0]) : null;
      boolean present = scene.objects().stream()
          .anyMatch(o -> o.shape() == shape && (colour == null || o.colour() == colour));
      assertEquals(present ? "yes" : "no", qa.answer(), qa.question());
      if (present) {
        yes++;
      } else {
        no++;
        if (colour == null) {
          shapeNegatives++;
          if (scene.objects().stream().anyMatch(o -> o.shape().companion() == shape)) companionNegatives++;
        }
      }
    }
    double yesRatio = yes / (double) (yes + no);
    assertTrue(yesRatio > 0.45 && yesRatio < 0.55, "yes ratio " + yesRatio);
    assertTrue(companionNegatives > 0.3 * shapeNegatives,
        "adversarial negatives " + companionNegatives + " of " + shapeNegatives);
  }
}
