package org.moellava.image;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.moellava.error.InvalidInputException;

/**
 * An 8-bit RGB image, stored row-major and interleaved ({@code [H, W, 3]}, like a PIL "RGB" image).
 *
 * @param width width in pixels
 * @param height height in pixels
 * @param rgb the pixel bytes, {@code (y * width + x) * 3 + channel}; values are unsigned
 */
public record RgbImage(int width, int height, byte[] rgb) {

  public RgbImage {
    if (width <= 0 || height <= 0) {
      throw new InvalidInputException("image size must be positive, got " + width + "x" + height);
    }
    if (rgb.length != width * height * 3) {
      throw new InvalidInputException("image " + width + "x" + height + " needs " + (width * height * 3)
          + " RGB bytes, got " + rgb.length);
    }
  }

  /** A {@code width x height} image filled with one colour. */
  public static RgbImage filled(int width, int height, int r, int g, int b) {
    byte[] data = new byte[width * height * 3];
    for (int i = 0; i < data.length; i += 3) {
      data[i] = (byte) r;
      data[i + 1] = (byte) g;
      data[i + 2] = (byte) b;
    }
    return new RgbImage(width, height, data);
  }

  /** Channel {@code c} (0 red, 1 green, 2 blue) of pixel (x, y), in 0..255. */
  public int get(int x, int y, int c) {
    return rgb[(y * width + x) * 3 + c] & 0xFF;
  }

  /** Converts any {@link BufferedImage} (grey, palette, alpha dropped) to RGB. */
  public static RgbImage fromBufferedImage(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    byte[] data = new byte[w * h * 3];
    for (int i = 0; i < argb.length; i++) {
      int p = argb[i];
      data[i * 3] = (byte) (p >> 16);
      data[i * 3 + 1] = (byte) (p >> 8);
      data[i * 3 + 2] = (byte) p;
    }
    return new RgbImage(w, h, data);
  }

  /** This image as a {@link BufferedImage#TYPE_INT_RGB} image (for PNG writing). */
  public BufferedImage toBufferedImage() {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] packed = new int[width * height];
    for (int i = 0; i < packed.length; i++) {
      packed[i] = ((rgb[i * 3] & 0xFF) << 16) | ((rgb[i * 3 + 1] & 0xFF) << 8) | (rgb[i * 3 + 2] & 0xFF);
    }
    image.setRGB(0, 0, width, height, packed, 0, width);
    return image;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RgbImage other && width == other.width && height == other.height
        && Arrays.equals(rgb, other.rgb);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * width + height) + Arrays.hashCode(rgb);
  }

  @Override
  public String toString() {
    return "RgbImage[" + width + "x" + height + "]";
  }
}
