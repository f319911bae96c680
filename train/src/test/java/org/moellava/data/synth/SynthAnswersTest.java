package org.moellava.data.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.moellava.data.Split;

/** Re-derives every answer from the object list by parsing the question text, independently of the generator. */
class SynthAnswersTest {
  private static final List<String> NUMBERS = List.of("zero", "one", "two", "three", "four", "five", "six");
  private static final Pattern EXISTS = Pattern.compile("is there a (?:(\\w+) )?(\\w+)\\?");
  private static final Pattern COLOUR = Pattern.compile("what colour is the (\\w+)\\?");
  private static final Pattern SHAPE_AT = Pattern.compile("what shape is (on the|at the|in the) (\\w+)\\?");
  private static final Pattern COUNT_ALL = Pattern.compile("how many objects are there\\?");
  private static final Pattern COUNT_OF = Pattern.compile("how many (\\w+) are there\\?");
  private static final Pattern WHERE = Pattern.compile("where is the (\\w+) (\\w+)\\?");
  private static final Pattern SIZE = Pattern.compile("what size is the (\\w+)\\?");

  private record Obj(String shape, String colour, String size, String position) {}

  private static List<Obj> objects(Scene scene) {
    return scene.objects().stream().map(o -> new Obj(o.shape().name().toLowerCase(), o.colour().name().toLowerCase(),
        o.size().name().toLowerCase(), o.position().name().toLowerCase())).toList();
  }

  private static String singular(String plural) {
    return plural.endsWith("sses") || plural.endsWith("xes") ? plural.substring(0, plural.length() - 2)
        : plural.substring(0, plural.length() - 1);
  }

  private static Obj only(List<Obj> objs, java.util.function.Predicate<Obj> p, String question) {
    List<Obj> matches = objs.stream().filter(p).toList();
    assertEquals(1, matches.size(), "question must identify one object: " + question + " in " + objs);
    return matches.get(0);
  }

  static String derive(String question, List<Obj> objs) {
    Matcher m;
    if ((m = EXISTS.matcher(question)).matches()) {
      String colour = m.group(1);
      String shape = m.group(2);
      boolean present = objs.stream().anyMatch(o -> o.shape.equals(shape) && (colour == null || o.colour.equals(colour)));
      return present ? "yes" : "no";
    }
    if ((m = COLOUR.matcher(question)).matches()) {
      String shape = m.group(1);
      return only(objs, o -> o.shape.equals(shape), question).colour;
    }
    if ((m = SHAPE_AT.matcher(question)).matches()) {
      String pos = m.group(2);
      return only(objs, o -> o.position.equals(pos), question).shape;
    }
    if (COUNT_ALL.matcher(question).matches()) return NUMBERS.get(objs.size());
    if ((m = COUNT_OF.matcher(question)).matches()) {
      String shape = singular(m.group(1));
      return NUMBERS.get((int) objs.stream().filter(o -> o.shape.equals(shape)).count());
    }
    if ((m = WHERE.matcher(question)).matches()) {
      String colour = m.group(1);
      String shape = m.group(2);
      return only(objs, o -> o.colour.equals(colour) && o.shape.equals(shape), question).position;
    }
    if ((m = SIZE.matcher(question)).matches()) {
      String shape = m.group(1);
      return only(objs, o -> o.shape.equals(shape), question).size;
    }
    throw new AssertionError("unrecognised question: " + question);
  }

  @Test
  void everyAnswerFollowsFromTheObjects() {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(5).withSplits(1500, 0, 0));
    Map<QuestionType, Integer> seen = new EnumMap<>(QuestionType.class);
    int yes = 0;
    int no = 0;
    for (int i = 0; i < 1500; i++) {
      SynthSample s = world.sample(Split.TRAIN, i);
      List<Obj> objs = objects(s.scene());
      for (QaPair qa : s.conversation()) {
        assertEquals(derive(qa.question(), objs), qa.answer(), qa.question() + " about " + objs);
        seen.merge(qa.type(), 1, Integer::sum);
        if (qa.answer().equals("yes")) yes++;
        if (qa.answer().equals("no")) no++;
      }
    }
    for (QuestionType t : List.of(QuestionType.EXISTENCE, QuestionType.COLOUR, QuestionType.SHAPE,
        QuestionType.COUNT, QuestionType.POSITION, QuestionType.SIZE)) {
      assertTrue(seen.getOrDefault(t, 0) > 100, "too few " + t + " questions: " + seen);
    }
    assertTrue(yes > 0.3 * (yes + no) && no > 0.3 * (yes + no), "yes/no balance " + yes + "/" + no);
  }

  @Test
  void captionsListEveryObject() {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(5).withSplits(300, 0, 0));
    Pattern phrase = Pattern.compile("a (small|large) (\\w+) (\\w+) (?:on the|at the|in the) (\\w+)");
    for (int i = 0; i < 300; i++) {
      SynthSample s = world.sample(Split.TRAIN, i);
      Matcher m = phrase.matcher(s.caption());
      List<Obj> parsed = new java.util.ArrayList<>();
      while (m.find()) parsed.add(new Obj(m.group(3), m.group(2), m.group(1), m.group(4)));
      assertEquals(objects(s.scene()), parsed, s.caption());
      assertTrue(s.caption().endsWith("."));
    }
  }

  @Test
  void textOnlyAnswersAreRight() {
    SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(5).withSplits(2000, 0, 0));
    Map<String, String> opposite = Map.of("left", "right", "right", "left", "top", "bottom", "bottom", "top",
        "large", "small", "small", "large", "yes", "no", "no", "yes");
    Map<String, Integer> sides = Map.of("triangle", 3, "square", 4, "diamond", 4, "hexagon", 6);
    for (int i = 0; i < world.textOnlySize(Split.TRAIN); i++) {
      for (QaPair qa : world.textOnly(Split.TRAIN, i).conversation()) {
        String q = qa.question();
        String expected;
        if (q.startsWith("what comes after ")) {
          expected = NUMBERS.get(NUMBERS.indexOf(q.substring(17, q.length() - 1)) + 1);
        } else if (q.startsWith("how many sides does a ")) {
          expected = NUMBERS.get(sides.get(q.split(" ")[5]));
        } else {
          expected = opposite.get(q.substring("what is the opposite of ".length(), q.length() - 1));
        }
        assertEquals(expected, qa.answer(), q);
      }
    }
  }
}
