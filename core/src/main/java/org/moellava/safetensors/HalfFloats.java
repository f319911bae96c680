package org.moellava.safetensors;

/** Widening of 16-bit floating-point bit patterns to float32, and the narrowing back (round to nearest even). */
final class HalfFloats {
  private HalfFloats() {}

  /** IEEE 754 binary16 bits to float32, exactly (every half value is representable as a float). */
  static float float16ToFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h >>> 15) << 31;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0x1F) { // infinity or NaN
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      // zero or subnormal: mantissa * 2^-24
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  /** bfloat16 bits to float32: they are the upper 16 bits of the float32. */
  static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /**
   * float32 to bfloat16 bits, rounding to nearest even; NaN stays NaN with its upper payload bits. Exact (and the
   * inverse of {@link #bfloat16ToFloat}) for every value that came from a bfloat16.
   */
  static short floatToBfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7F800000) == 0x7F800000 && (bits & 0x007FFFFF) != 0) { // NaN: keep it NaN
      int upper = bits >>> 16;
      return (short) ((upper & 0x7F) == 0 ? upper | 0x40 : upper);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /**
   * float32 to IEEE binary16 bits, rounding to nearest even (overflow to infinity, underflow through subnormals to
   * zero); NaN stays NaN. Exact (and the inverse of {@link #float16ToFloat}) for every value that came from a
   * binary16.
   */
  static short floatToFloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xFF;
    int mantissa = bits & 0x7FFFFF;
    if (exponent == 0xFF) { // infinity or NaN
      if (mantissa == 0) return (short) (sign | 0x7C00);
      int payload = mantissa >>> 13;
      return (short) (sign | 0x7C00 | (payload == 0 ? 0x200 : payload));
    }
    int e = exponent - 127 + 15;
    if (e >= 0x1F) return (short) (sign | 0x7C00); // overflow
    if (e <= 0) { // subnormal or zero in binary16
      if (e < -10) return (short) sign;
      int m = mantissa | 0x800000; // implicit bit
      int shift = 14 - e; // 13 + (1 - e)
      int half = m >>> shift;
      int rest = m & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rest > halfway || (rest == halfway && (half & 1) == 1)) half++;
      return (short) (sign | half);
    }
    int half = (e << 10) | (mantissa >>> 13);
    int rest = mantissa & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) half++; // may carry into the exponent: still right
    return (short) (sign | half);
  }
}
