package org.moellava.data;

import org.moellava.error.InvalidInputException;

/** Dataset splits. Splits never share an image. */
public enum Split {
  TRAIN, VAL, TEST;

  /** Lower-case name, used in directory names. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * The split labelled {@code label} ({@code train}, {@code val} or {@code test}).
   *
   * @throws InvalidInputException naming {@code --split} for any other text
   */
  public static Split parse(String label) {
    for (Split s : values()) {
      if (s.label().equals(label)) return s;
    }
    throw new InvalidInputException("--split must be train, val or test, got '" + label + "'");
  }
}
