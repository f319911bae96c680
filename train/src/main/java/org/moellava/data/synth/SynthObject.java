package org.moellava.data.synth;

/** One object in a synthetic image. */
public record SynthObject(Shape shape, Colour colour, ObjectSize size, Position position) {
  /** "a small red circle on the left". */
  public String phrase() {
    return "a " + size.word() + " " + colour.word() + " " + shape.word() + " " + position.phrase();
  }
}
