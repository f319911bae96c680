package org.moellava.eval;

/** How POPE picks the absent objects it asks about. */
public enum PopeSplit {
  /** Uniformly among absent categories. */
  RANDOM,
  /** The most frequent absent categories in the dataset. */
  POPULAR,
  /** The absent categories that co-occur most with the image's objects. */
  ADVERSARIAL;

  /** Lower-case label. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
