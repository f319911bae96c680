package org.moellava.safetensors;

import java.util.Optional;

/** The element types this project reads from safetensors files, with their safetensors names and widths. */
public enum SafetensorsDType {
  /** IEEE float32. */
  F32(4, true),
  /** IEEE float16, widened to float32 on reading. */
  F16(2, true),
  /** bfloat16 (the upper half of a float32), widened to float32 on reading. */
  BF16(2, true),
  /** int64, for token ids and masks. */
  I64(8, false),
  /** int32, widened to int64 on reading. */
  I32(4, false);

  private final int bytesPerElement;
  private final boolean floatingPoint;

  SafetensorsDType(int bytesPerElement, boolean floatingPoint) {
    this.bytesPerElement = bytesPerElement;
    this.floatingPoint = floatingPoint;
  }

  /** Bytes per element. */
  public int bytesPerElement() {
    return bytesPerElement;
  }

  /** Whether the type is read as float32 ({@code F32}, {@code F16}, {@code BF16}). */
  public boolean isFloatingPoint() {
    return floatingPoint;
  }

  /** The type called {@code name} in a safetensors header, if this project supports it. */
  public static Optional<SafetensorsDType> fromHeaderName(String name) {
    for (SafetensorsDType t : values()) {
      if (t.name().equals(name)) return Optional.of(t);
    }
    return Optional.empty();
  }
}
