package org.moellava.serve.prompt;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;

/**
 * The default {@link ImageDecoder}, on {@code javax.imageio} (PNG, JPEG, GIF, BMP): reads the header
 * dimensions through an {@link ImageReader} first and refuses images over the pixel limit before decoding,
 * then stretches the image to {@code imageSize x imageSize} with bilinear interpolation (transparent pixels
 * over white) and normalises each channel with mean/std (CLIP's by default).
 */
public final class ImageIoDecoder implements ImageDecoder {
  private final int imageSize;
  private final long maxPixels;
  private final long maxBytes;
  private final double[] mean;
  private final double[] std;

  /**
   * @param imageSize side of the square output
   * @param maxPixels largest accepted width * height of the encoded image
   * @param maxBytes largest accepted encoded size
   * @param mean per-channel mean (RGB)
   * @param std per-channel std (RGB)
   */
  public ImageIoDecoder(int imageSize, long maxPixels, long maxBytes, List<Double> mean, List<Double> std) {
    if (imageSize < 1 || maxPixels < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("image size and limits must be >= 1");
    }
    if (mean.size() != 3 || std.size() != 3) {
      throw new IllegalArgumentException("mean and std need 3 channels each");
    }
    this.imageSize = imageSize;
    this.maxPixels = maxPixels;
    this.maxBytes = maxBytes;
    this.mean = mean.stream().mapToDouble(Double::doubleValue).toArray();
    this.std = std.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** With CLIP's mean and std. */
  public static ImageIoDecoder clip(int imageSize, long maxPixels, long maxBytes) {
    return new ImageIoDecoder(imageSize, maxPixels, maxBytes, ModelConfig.CLIP_MEAN, ModelConfig.CLIP_STD);
  }

  @Override
  public float[] decode(byte[] encodedImage) {
    if (encodedImage.length > maxBytes) {
      throw new InvalidInputException(
          "image is " + encodedImage.length + " bytes, over the limit of " + maxBytes + " bytes");
    }
    BufferedImage image;
    try {
      image = read(encodedImage);
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidInputException invalid) {
        throw invalid;
      }
      throw new InvalidInputException("image could not be decoded: " + oneLine(e));
    }
    return normalise(resize(image));
  }

  private BufferedImage read(byte[] bytes) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        throw new InvalidInputException("data is not an image in a supported format (PNG, JPEG, GIF, BMP)");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width < 1 || height < 1) {
          throw new InvalidInputException("image declares an empty size " + width + "x" + height);
        }
        if ((long) width * height > maxPixels) {
          throw new InvalidInputException("image is " + width + "x" + height + " = " + (long) width * height
              + " pixels, over the limit of " + maxPixels + " pixels");
        }
        BufferedImage image = reader.read(0);
        if (image == null) {
          throw new InvalidInputException("image holds no picture");
        }
        return image;
      } finally {
        reader.dispose();
      }
    }
  }

  private BufferedImage resize(BufferedImage source) {
    BufferedImage target = new BufferedImage(imageSize, imageSize, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = target.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(source, 0, 0, imageSize, imageSize, Color.WHITE, null);
    } finally {
      g.dispose();
    }
    return target;
  }

  /** {@code [3, H, W]}: (value / 255 - mean[c]) / std[c]. */
  private float[] normalise(BufferedImage rgb) {
    int plane = imageSize * imageSize;
    float[] pixels = new float[3 * plane];
    for (int y = 0; y < imageSize; y++) {
      for (int x = 0; x < imageSize; x++) {
        int argb = rgb.getRGB(x, y);
        int[] channel = {(argb >> 16) & 0xff, (argb >> 8) & 0xff, argb & 0xff};
        for (int c = 0; c < 3; c++) {
          pixels[c * plane + y * imageSize + x] = (float) ((channel[c] / 255.0 - mean[c]) / std[c]);
        }
      }
    }
    return pixels;
  }

  private static String oneLine(Exception e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.replaceAll("\\s+", " ");
  }
}
