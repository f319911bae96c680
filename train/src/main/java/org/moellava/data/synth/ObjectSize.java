package org.moellava.data.synth;

/** Object sizes; the radius of an object's bounding circle is a fraction of the image side. */
public enum ObjectSize {
  SMALL("small", 0.065),
  LARGE("large", 0.11);

  private final String word;
  private final double radiusFraction;

  ObjectSize(String word, double radiusFraction) {
    this.word = word;
    this.radiusFraction = radiusFraction;
  }

  /** The size word. */
  public String word() {
    return word;
  }

  /** Bounding-circle radius as a fraction of the image side. */
  public double radiusFraction() {
    return radiusFraction;
  }
}
