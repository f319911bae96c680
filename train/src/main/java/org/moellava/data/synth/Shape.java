package org.moellava.data.synth;

/**
 * Object categories of the synthetic world. Frequencies are deliberately skewed (circles are common, hexagons
 * rare) and every shape has a companion it tends to appear with, so POPE's popular and adversarial negatives
 * differ from random ones.
 */
public enum Shape {
  CIRCLE("circle", "circles", 30),
  SQUARE("square", "squares", 22),
  TRIANGLE("triangle", "triangles", 15),
  STAR("star", "stars", 10),
  CROSS("cross", "crosses", 8),
  RING("ring", "rings", 6),
  DIAMOND("diamond", "diamonds", 5),
  HEXAGON("hexagon", "hexagons", 4);

  private final String word;
  private final String plural;
  private final int weight;

  Shape(String word, String plural, int weight) {
    this.word = word;
    this.plural = plural;
    this.weight = weight;
  }

  /** The singular noun. */
  public String word() {
    return word;
  }

  /** The plural noun. */
  public String plural() {
    return plural;
  }

  /** Relative frequency when a shape is drawn on its own. */
  public int weight() {
    return weight;
  }

  /** The shape this one tends to co-occur with (pairs: circle–square, triangle–diamond, star–cross, ring–hexagon). */
  public Shape companion() {
    return switch (this) {
      case CIRCLE -> SQUARE;
      case SQUARE -> CIRCLE;
      case TRIANGLE -> DIAMOND;
      case DIAMOND -> TRIANGLE;
      case STAR -> CROSS;
      case CROSS -> STAR;
      case RING -> HEXAGON;
      case HEXAGON -> RING;
    };
  }

  /** The shape named {@code word} (singular or plural), or null. */
  public static Shape fromWord(String word) {
    for (Shape s : values()) {
      if (s.word.equals(word) || s.plural.equals(word)) return s;
    }
    return null;
  }
}
