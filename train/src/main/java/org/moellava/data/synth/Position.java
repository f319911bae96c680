package org.moellava.data.synth;

/**
 * The five placement slots. Slot centres are a quarter of the image side apart, and the largest object's
 * bounding circle has radius 0.11 of the side, so objects in different slots never overlap.
 */
public enum Position {
  LEFT("left", "on the left", 0.25, 0.5),
  RIGHT("right", "on the right", 0.75, 0.5),
  TOP("top", "at the top", 0.5, 0.25),
  BOTTOM("bottom", "at the bottom", 0.5, 0.75),
  CENTRE("centre", "in the centre", 0.5, 0.5);

  private final String word;
  private final String phrase;
  private final double x;
  private final double y;

  Position(String word, String phrase, double x, double y) {
    this.word = word;
    this.phrase = phrase;
    this.x = x;
    this.y = y;
  }

  /** One-word answer ("left"). */
  public String word() {
    return word;
  }

  /** Caption phrase ("on the left"). */
  public String phrase() {
    return phrase;
  }

  /** Slot centre x as a fraction of the width. */
  public double x() {
    return x;
  }

  /** Slot centre y as a fraction of the height. */
  public double y() {
    return y;
  }

  /** The position whose word is {@code word}, or null. */
  public static Position fromWord(String word) {
    for (Position p : values()) {
      if (p.word.equals(word)) return p;
    }
    return null;
  }
}
