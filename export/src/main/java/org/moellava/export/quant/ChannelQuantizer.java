package org.moellava.export.quant;

import java.nio.FloatBuffer;

/**
 * Quantizes one weight matrix {@code W [K, N]} (row-major floats, TF kernel layout) to int8 with one scale per output
 * channel, the scheme TensorRT takes for weights ({@link QuantScheme#int8PerChannel}): for each column c,
 * {@code scale[c] = max_r |W[r, c]| / 127} (stored fp32), {@code q[r, c] = clamp(round(W[r, c] / scale[c]), -127,
 * 127)} as signed int8 with zero point 0 (the code -128 stays unused so that the range is exactly symmetric), and
 * {@code W ~ q * scale}. A column of zeros gets scale 0 and codes 0 (it dequantizes to exact zeros). Rounding is half
 * away from zero, in double precision against the fp32 scale that is stored, as {@link BlockQuantizer} does.
 */
public final class ChannelQuantizer {
  /** Largest code magnitude. */
  public static final int QMAX = 127;

  private ChannelQuantizer() {}

  /** Quantizes {@code W [K, N]} whose element {@code (r, c)} is {@code w.get(offset + r * N + c)}. */
  public static ChannelQuantizedMatrix quantize(FloatBuffer w, int offset, int k, int n) {
    double[] amax = new double[n];
    for (int r = 0; r < k; r++) { // row by row: the source is read in storage order
      int base = offset + r * n;
      for (int c = 0; c < n; c++) amax[c] = Math.max(amax[c], Math.abs((double) w.get(base + c)));
    }
    float[] scales = new float[n];
    for (int c = 0; c < n; c++) scales[c] = (float) (amax[c] / QMAX);
    byte[] codes = new byte[Math.multiplyExact(k, n)]; // [K, N]
    for (int r = 0; r < k; r++) {
      int base = offset + r * n;
      for (int c = 0; c < n; c++) {
        long q = scales[c] == 0 ? 0 : BlockQuantizer.roundHalfAway(w.get(base + c) / (double) scales[c]);
        codes[r * n + c] = (byte) Math.max(-QMAX, Math.min(QMAX, q));
      }
    }
    return new ChannelQuantizedMatrix(k, n, codes, scales);
  }
}
