package org.moellava.export.quant;

import java.nio.FloatBuffer;
import org.moellava.error.InvalidInputException;

/**
 * Quantizes one weight matrix {@code W [K, N]} (row-major floats) into a {@link QuantizedMatrix}. Per column and
 * block of K:
 *
 * <ul>
 *   <li>symmetric: {@code scale = max|w| / (2^(bits-1) - 1)}, {@code q = clamp(round(w / scale), -(2^(bits-1) - 1),
 *       2^(bits-1) - 1) + 2^(bits-1)} (ONNX Runtime's default zero point; the code 0 stays unused so that the range is
 *       exactly symmetric);
 *   <li>asymmetric: {@code [lo, hi] = [min(w, 0), max(w, 0)]}, {@code scale = (hi - lo) / (2^bits - 1)},
 *       {@code zp = clamp(round(-lo / scale), 0, 2^bits - 1)}, {@code q = clamp(round(w / scale) + zp, 0, 2^bits - 1)}.
 * </ul>
 *
 * A block of zeros gets scale 0 (it dequantizes to exact zeros). Rounding is half away from zero, in double
 * precision against the fp32 scale that is stored, so dequantization reproduces every element within half a step.
 */
public final class BlockQuantizer {
  private BlockQuantizer() {}

  /** How the source matrix is stored. */
  public enum Layout {
    /** {@code [K, N]} row-major (TF kernels): element {@code (r, c)} at {@code r * N + c}. */
    K_BY_N,
    /** {@code [N, K]} row-major (ONNX Runtime MoE weights {@code [E, out, in]}): element {@code (r, c)} at {@code c * K + r}. */
    N_BY_K
  }

  /**
   * Quantizes {@code W [K, N]} whose element {@code (r, c)} is {@code w.get(offset + r * N + c)}.
   *
   * @param name the tensor, for errors
   */
  public static QuantizedMatrix quantize(String name, FloatBuffer w, int offset, int k, int n, QuantScheme s) {
    return quantize(name, w, offset, k, n, Layout.K_BY_N, s);
  }

  /** Quantizes {@code W [K, N]} stored at {@code offset} of {@code w} in {@code layout}. */
  public static QuantizedMatrix quantize(String name, FloatBuffer w, int offset, int k, int n, Layout layout,
      QuantScheme s) {
    if (s.perChannel()) {
      throw new IllegalArgumentException(s.id() + " is per channel: quantize with ChannelQuantizer");
    }
    int bs = s.blockSize();
    if (k % bs != 0) {
      throw new InvalidInputException("--block-size " + bs + " does not divide K=" + k + " of " + name
          + " [" + k + ", " + n + "]; choose a block size that divides every quantized K (nothing was written)");
    }
    int kBlocks = k / bs;
    int blob = s.blobSize();
    byte[] packed = new byte[Math.multiplyExact(Math.multiplyExact(n, kBlocks), blob)];
    float[] scales = new float[n * kBlocks];
    int zpRow = (kBlocks * s.bits() + 7) / 8;
    byte[] zeroPoints = s.symmetric() ? null : new byte[n * zpRow];
    double[] block = new double[bs];
    int[] codes = new int[bs];
    for (int col = 0; col < n; col++) {
      for (int b = 0; b < kBlocks; b++) {
        for (int j = 0; j < bs; j++) {
          int r = b * bs + j;
          block[j] = w.get(offset + (layout == Layout.K_BY_N ? r * n + col : col * k + r));
        }
        int zp = s.symmetric() ? quantizeSymmetric(block, s, codes, scales, col * kBlocks + b)
            : quantizeAsymmetric(block, s, codes, scales, col * kBlocks + b);
        pack(codes, s.bits(), packed, (col * kBlocks + b) * blob);
        if (zeroPoints != null) putCode(zeroPoints, col * zpRow, b, zp, s.bits());
      }
    }
    return new QuantizedMatrix(s, k, n, packed, scales, zeroPoints);
  }

  private static int quantizeSymmetric(double[] v, QuantScheme s, int[] codes, float[] scales, int at) {
    int qmax = s.defaultZeroPoint() - 1;
    double amax = 0;
    for (double x : v) amax = Math.max(amax, Math.abs(x));
    float scale = (float) (amax / qmax);
    scales[at] = scale;
    int zp = s.defaultZeroPoint();
    for (int j = 0; j < v.length; j++) {
      long q = scale == 0 ? 0 : roundHalfAway(v[j] / scale);
      codes[j] = (int) Math.max(-qmax, Math.min(qmax, q)) + zp;
    }
    return zp;
  }

  private static int quantizeAsymmetric(double[] v, QuantScheme s, int[] codes, float[] scales, int at) {
    int maxCode = s.maxCode();
    double lo = 0;
    double hi = 0;
    for (double x : v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    float scale = (float) ((hi - lo) / maxCode);
    scales[at] = scale;
    int zp = scale == 0 ? 0 : (int) Math.max(0, Math.min(maxCode, roundHalfAway(-lo / scale)));
    for (int j = 0; j < v.length; j++) {
      long q = scale == 0 ? zp : roundHalfAway(v[j] / scale) + zp;
      codes[j] = (int) Math.max(0, Math.min(maxCode, q));
    }
    return zp;
  }

  /** Rounds half away from zero (Math.round rounds half up). */
  static long roundHalfAway(double x) {
    return x < 0 ? -Math.round(-x) : Math.round(x);
  }

  private static void pack(int[] codes, int bits, byte[] out, int base) {
    if (bits == 8) {
      for (int j = 0; j < codes.length; j++) out[base + j] = (byte) codes[j];
      return;
    }
    for (int j = 0; j < codes.length; j += 2) out[base + j / 2] = (byte) (codes[j] | (codes[j + 1] << 4));
  }

  private static void putCode(byte[] out, int rowBase, int index, int code, int bits) {
    if (bits == 8) {
      out[rowBase + index] = (byte) code;
    } else if (index % 2 == 0) {
      out[rowBase + index / 2] = (byte) ((out[rowBase + index / 2] & 0xf0) | code);
    } else {
      out[rowBase + index / 2] = (byte) ((out[rowBase + index / 2] & 0x0f) | (code << 4));
    }
  }
}
