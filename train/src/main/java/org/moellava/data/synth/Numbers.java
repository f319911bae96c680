package org.moellava.data.synth;

/** Number words used in answers. */
public final class Numbers {
  /** "zero" to "six". */
  public static final String[] WORDS = {"zero", "one", "two", "three", "four", "five", "six"};

  private Numbers() {}

  /** The word for {@code n} in 0..6. */
  public static String word(int n) {
    return WORDS[n];
  }
}
