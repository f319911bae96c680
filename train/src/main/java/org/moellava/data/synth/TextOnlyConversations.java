package org.moellava.data.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Conversations without an image, in the same small language: counting ("what comes after two?"),
 * polygon sides ("how many sides does a triangle have?") and opposites ("what is the opposite of left?").
 */
public final class TextOnlyConversations {
  private static final String[][] OPPOSITES = {
      {"left", "right"}, {"right", "left"}, {"top", "bottom"}, {"bottom", "top"},
      {"large", "small"}, {"small", "large"}, {"yes", "no"}, {"no", "yes"}};
  private static final Object[][] SIDES = {
      {Shape.TRIANGLE, 3}, {Shape.SQUARE, 4}, {Shape.DIAMOND, 4}, {Shape.HEXAGON, 6}};

  /** {@code turns} distinct text-only questions. */
  public List<QaPair> conversation(int turns, SplittableRandom random) {
    List<QaPair> out = new ArrayList<>(turns);
    int attempts = 0;
    while (out.size() < turns && attempts++ < 20 * turns) {
      QaPair qa = question(random);
      if (out.stream().noneMatch(p -> p.question().equals(qa.question()))) out.add(qa);
    }
    return out;
  }

  /** One text-only question. */
  public QaPair question(SplittableRandom random) {
    return switch (random.nextInt(3)) {
      case 0 -> {
        int n = random.nextInt(Numbers.WORDS.length - 1);
        yield new QaPair(QuestionType.TEXT_ONLY, "what comes after " + Numbers.word(n) + "?", Numbers.word(n + 1));
      }
      case 1 -> {
        Object[] s = SIDES[random.nextInt(SIDES.length)];
        yield new QaPair(QuestionType.TEXT_ONLY, "how many sides does a " + ((Shape) s[0]).word() + " have?",
            Numbers.word((Integer) s[1]));
      }
      default -> {
        String[] o = OPPOSITES[random.nextInt(OPPOSITES.length)];
        yield new QaPair(QuestionType.TEXT_ONLY, "what is the opposite of " + o[0] + "?", o[1]);
      }
    };
  }
}
