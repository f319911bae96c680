package org.moellava.export.onnx;

/**
 * One dimension of an ONNX graph input or output: a fixed size or a named dynamic axis.
 *
 * @param value the size, when fixed; -1 for a named axis
 * @param param the dynamic axis name (e.g. {@code batch}, {@code sequence}), or null when fixed
 */
public record Dim(long value, String param) {

  public Dim {
    if ((param == null) == (value < 0)) {
      throw new IllegalArgumentException("a Dim is either a size >= 0 or a name, got " + value + "/" + param);
    }
  }

  /** A fixed size. */
  public static Dim of(long value) {
    return new Dim(value, null);
  }

  /** A named dynamic axis. */
  public static Dim named(String name) {
    return new Dim(-1, name);
  }

  /** Long for a fixed size, String for a named axis (what the ONNX value-info builder takes). */
  public Object asShapeEntry() {
    return param == null ? (Object) value : param;
  }
}
