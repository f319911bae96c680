package org.moellava.data.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Asks questions about a scene whose answers are one word or yes/no:
 * existence ("is there a star?", "is there a red circle?"), colour ("what colour is the circle?"),
 * shape ("what shape is on the left?"), count ("how many objects are there?", "how many stars are there?"),
 * position ("where is the red circle?") and size ("what size is the circle?"). A question only names an object
 * in a way that identifies it uniquely; existence questions are half positive, half negative, and the negatives
 * are drawn like POPE's (random, popular and adversarial absent shapes; present shapes in an absent colour).
 */
public final class QuestionGenerator {

  /** Every question type once: the evaluation splits' uniform mix. */
  public static final QuestionType[] UNIFORM = {QuestionType.EXISTENCE, QuestionType.COLOUR, QuestionType.SHAPE,
      QuestionType.COUNT, QuestionType.POSITION, QuestionType.SIZE};

  /**
   * The training split's mix: the types that need an object found by its attributes (existence, colour of a named
   * shape, position of a coloured shape) drawn more often than those read off a fixed place or the whole image.
   */
  public static final QuestionType[] TRAINING = {QuestionType.EXISTENCE, QuestionType.EXISTENCE, QuestionType.COLOUR,
      QuestionType.COLOUR, QuestionType.SHAPE, QuestionType.COUNT, QuestionType.POSITION, QuestionType.POSITION,
      QuestionType.POSITION, QuestionType.SIZE};

  /** {@code turns} questions about {@code scene}, of uniformly random types, without repeating a question. */
  public List<QaPair> questions(Scene scene, int turns, SplittableRandom random) {
    return questions(scene, turns, random, UNIFORM);
  }

  /** {@code turns} questions about {@code scene}, types drawn from {@code types}, without repeating a question. */
  public List<QaPair> questions(Scene scene, int turns, SplittableRandom random, QuestionType[] types) {
    List<QaPair> out = new ArrayList<>(turns);
    int attempts = 0;
    while (out.size() < turns && attempts++ < 20 * turns) {
      QaPair qa = ask(types[random.nextInt(types.length)], scene, random);
      if (out.stream().noneMatch(p -> p.question().equals(qa.question()))) out.add(qa);
    }
    return out;
  }

  /** One question of {@code type} about {@code scene}. */
  public QaPair ask(QuestionType type, Scene scene, SplittableRandom random) {
    List<SynthObject> objects = scene.objects();
    SynthObject target = objects.get(random.nextInt(objects.size()));
    boolean unique = scene.count(target.shape()) == 1;
    String shape = target.shape().word();
    return switch (type) {
      case EXISTENCE -> existence(scene, random);
      case COLOUR -> unique
          ? new QaPair(type, "what colour is the " + shape + "?", target.colour().word())
          : existence(scene, random);
      case SHAPE -> new QaPair(type, "what shape is " + target.position().phrase() + "?", shape);
      case COUNT -> random.nextBoolean()
          ? new QaPair(type, "how many objects are there?", Numbers.word(objects.size()))
          : countOf(scene, random);
      case POSITION -> uniqueColourShape(scene, target)
          ? new QaPair(type, "where is the " + target.colour().word() + " " + shape + "?", target.position().word())
          : new QaPair(QuestionType.SHAPE, "what shape is " + target.position().phrase() + "?", shape);
      case SIZE -> unique
          ? new QaPair(type, "what size is the " + shape + "?", target.size().word())
          : new QaPair(QuestionType.COUNT, "how many objects are there?", Numbers.word(objects.size()));
      case TEXT_ONLY -> throw new IllegalArgumentException("text-only questions come from TextOnlyConversations");
    };
  }

  private static QaPair countOf(Scene scene, SplittableRandom random) {
    Shape shape = Shape.values()[random.nextInt(Shape.values().length)];
    return new QaPair(QuestionType.COUNT, "how many " + shape.plural() + " are there?",
        Numbers.word(scene.count(shape)));
  }

  private static QaPair existence(Scene scene, SplittableRandom random) {
    boolean withColour = random.nextBoolean();
    boolean positive = random.nextBoolean();
    if (positive) {
      SynthObject o = scene.objects().get(random.nextInt(scene.objects().size()));
      String name = withColour ? o.colour().word() + " " + o.shape().word() : o.shape().word();
      return new QaPair(QuestionType.EXISTENCE, "is there a " + name + "?", "yes");
    }
    String absent = withColour ? absentColourShape(scene, random) : absentShape(scene, random);
    if (absent == null) {
      SynthObject o = scene.objects().get(0);
      return new QaPair(QuestionType.EXISTENCE, "is there a " + o.shape().word() + "?", "yes");
    }
    return new QaPair(QuestionType.EXISTENCE, "is there a " + absent + "?", "no");
  }

  /**
   * An absent shape, drawn like POPE's negatives: a third uniformly among the absent shapes (random), a third
   * the most frequent absent shape (popular), a third the absent companion of a present shape (adversarial,
   * falling back to random when every companion is present). Null when every shape is present.
   */
  static String absentShape(Scene scene, SplittableRandom random) {
    List<Shape> absent = new ArrayList<>();
    for (Shape s : Shape.values()) {
      if (scene.count(s) == 0) absent.add(s);
    }
    if (absent.isEmpty()) return null;
    int mode = random.nextInt(3);
    if (mode == 1) {
      Shape popular = absent.get(0);
      for (Shape s : absent) {
        if (s.weight() > popular.weight()) popular = s;
      }
      return popular.word();
    }
    if (mode == 2) {
      List<Shape> companions = new ArrayList<>();
      for (SynthObject o : scene.objects()) {
        Shape c = o.shape().companion();
        if (absent.contains(c) && !companions.contains(c)) companions.add(c);
      }
      if (!companions.isEmpty()) return companions.get(random.nextInt(companions.size())).word();
    }
    return absent.get(random.nextInt(absent.size())).word();
  }

  /**
   * An absent colour-shape pair: half the time a present shape in a colour none of its copies has (so the
   * colour must be checked), otherwise any absent pair. Null when none was found.
   */
  static String absentColourShape(Scene scene, SplittableRandom random) {
    boolean presentShape = random.nextBoolean();
    for (int attempt = 0; attempt < 50; attempt++) {
      Shape s = presentShape
          ? scene.objects().get(random.nextInt(scene.objects().size())).shape()
          : Shape.values()[random.nextInt(Shape.values().length)];
      Colour c = Colour.values()[random.nextInt(Colour.values().length)];
      boolean present = scene.objects().stream().anyMatch(o -> o.shape() == s && o.colour() == c);
      if (!present) return c.word() + " " + s.word();
    }
    return null;
  }

  private static boolean uniqueColourShape(Scene scene, SynthObject target) {
    return scene.objects().stream()
        .filter(o -> o.shape() == target.shape() && o.colour() == target.colour()).count() == 1;
  }
}
