package org.moellava.image;

/**
 * Bicubic resizing as Pillow's {@code Image.resize(size, Image.BICUBIC)} computes it for 8-bit RGB images:
 * a separable Keys cubic filter with a = -0.5 whose support widens by the scale factor when shrinking
 * (antialiasing), weights normalised per output pixel, the horizontal pass first, and each pass rounded and
 * clipped to 8 bits. Pillow accumulates in 22-bit fixed point; this uses doubles, so a result can differ from
 * Pillow's by one level where a value sits on a rounding boundary.
 */
public final class BicubicResize {
  private static final double A = -0.5;
  private static final double SUPPORT = 2.0;

  private BicubicResize() {}

  /** Resizes {@code image} to {@code newWidth x newHeight}. */
  public static RgbImage resize(RgbImage image, int newWidth, int newHeight) {
    RgbImage out = image;
    if (newWidth != image.width()) {
      out = horizontal(out, newWidth);
    }
    if (newHeight != image.height()) {
      out = vertical(out, newHeight);
    }
    return out;
  }

  /** The Keys cubic kernel with a = -0.5 (Pillow's {@code bicubic_filter}). */
  static double kernel(double x) {
    x = Math.abs(x);
    if (x < 1.0) return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * A;
    return 0.0;
  }

  /** Per output index: first input index and normalised weights (Pillow's {@code precompute_coeffs}). */
  record Coefficients(int[] start, double[][] weights) {}

  static Coefficients coefficients(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = SUPPORT * filterScale;
    int[] start = new int[outSize];
    double[][] weights = new double[outSize][];
    for (int xx = 0; xx < outSize; xx++) {
      double center = (xx + 0.5) * scale;
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
      double[] k = new double[xmax];
      double sum = 0.0;
      for (int x = 0; x < xmax; x++) {
        k[x] = kernel((x + xmin - center + 0.5) / filterScale);
        sum += k[x];
      }
      if (sum != 0.0) {
        for (int x = 0; x < xmax; x++) k[x] /= sum;
      }
      start[xx] = xmin;
      weights[xx] = k;
    }
    return new Coefficients(start, weights);
  }

  private static RgbImage horizontal(RgbImage in, int outWidth) {
    Coefficients c = coefficients(in.width(), outWidth);
    int h = in.height();
    byte[] src = in.rgb();
    byte[] dst = new byte[outWidth * h * 3];
    for (int y = 0; y < h; y++) {
      int row = y * in.width();
      for (int x = 0; x < outWidth; x++) {
        double[] k = c.weights()[x];
        int x0 = c.start()[x];
        for (int ch = 0; ch < 3; ch++) {
          double acc = 0.0;
          for (int i = 0; i < k.length; i++) acc += k[i] * (src[(row + x0 + i) * 3 + ch] & 0xFF);
          dst[(y * outWidth + x) * 3 + ch] = clip8(acc);
        }
      }
    }
    return new RgbImage(outWidth, h, dst);
  }

  private static RgbImage vertical(RgbImage in, int outHeight) {
    Coefficients c = coefficients(in.height(), outHeight);
    int w = in.width();
    byte[] src = in.rgb();
    byte[] dst = new byte[w * outHeight * 3];
    for (int y = 0; y < outHeight; y++) {
      double[] k = c.weights()[y];
      int y0 = c.start()[y];
      for (int x = 0; x < w; x++) {
        for (int ch = 0; ch < 3; ch++) {
          double acc = 0.0;
          for (int i = 0; i < k.length; i++) acc += k[i] * (src[((y0 + i) * w + x) * 3 + ch] & 0xFF);
          dst[(y * w + x) * 3 + ch] = clip8(acc);
        }
      }
    }
    return new RgbImage(w, outHeight, dst);
  }

  private static byte clip8(double v) {
    long r = Math.round(v);
    return (byte) (r < 0 ? 0 : r > 255 ? 255 : r);
  }
}
