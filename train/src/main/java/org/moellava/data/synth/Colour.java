package org.moellava.data.synth;

/** Object colours of the synthetic world, with their base RGB values. */
public enum Colour {
  RED("red", 220, 40, 40),
  GREEN("green", 40, 180, 60),
  BLUE("blue", 50, 80, 230),
  YELLOW("yellow", 235, 220, 50),
  PURPLE("purple", 150, 60, 200),
  ORANGE("orange", 245, 140, 30),
  WHITE("white", 240, 240, 240);

  private final String word;
  private final int r;
  private final int g;
  private final int b;

  Colour(String word, int r, int g, int b) {
    this.word = word;
    this.r = r;
    this.g = g;
    this.b = b;
  }

  /** The colour word. */
  public String word() {
    return word;
  }

  /** Base red, green, blue in 0..255. */
  public int[] rgb() {
    return new int[] {r, g, b};
  }

  /** The colour named {@code word}, or null. */
  public static Colour fromWord(String word) {
    for (Colour c : values()) {
      if (c.word.equals(word)) return c;
    }
    return null;
  }
}
