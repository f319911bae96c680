package org.moellava.data.synth;

/** Kinds of synthetic questions; {@link #label()} is the per-type key in VQA results. */
public enum QuestionType {
  EXISTENCE, COLOUR, SHAPE, COUNT, POSITION, SIZE, TEXT_ONLY;

  /** Lower-case label, e.g. {@code "colour"}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
