package org.moellava.data;

/** Dataset splits. Splits never share an image. */
public enum Split {
  TRAIN, VAL, TEST;

  /** Lower-case name, used in directory names. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
