package org.moellava.api;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImageFiles;
import org.moellava.image.ImagePreprocessor;
import org.moellava.image.RgbImage;

/**
 * An image to ask about: a file, encoded bytes (PNG, JPEG, GIF, BMP) or a {@link BufferedImage}. It is read and
 * decoded when a generation is submitted, on the caller's thread, and preprocessed exactly as in training (resize,
 * crop or pad, normalisation from the model package). Images with more pixels than
 * {@link Options#maxImagePixels()} are refused before their pixels are decoded.
 */
public final class Image {
  private final Path file;
  private final byte[] bytes;
  private final BufferedImage buffered;

  private Image(Path file, byte[] bytes, BufferedImage buffered) {
    this.file = file;
    this.bytes = bytes;
    this.buffered = buffered;
  }

  /**
   * An image file, read when used.
   *
   * @param file a PNG, JPEG, GIF or BMP file
   * @return the image
   */
  public static Image of(Path file) {
    return new Image(Objects.requireNonNull(file, "file"), null, null);
  }

  /**
   * Encoded image bytes (not copied: do not change them until the generation is submitted).
   *
   * @param encoded the bytes of a PNG, JPEG, GIF or BMP file
   * @return the image
   */
  public static Image of(byte[] encoded) {
    return new Image(null, Objects.requireNonNull(encoded, "encoded"), null);
  }

  /**
   * A decoded image; grey, palette and alpha images are converted to RGB (alpha dropped).
   *
   * @param image the image
   * @return the image
   */
  public static Image of(BufferedImage image) {
    return new Image(null, null, Objects.requireNonNull(image, "image"));
  }

  /** Pixel values {@code [3, S, S]} for the vision tower. */
  float[] pixels(ImagePreprocessor preprocessor, long maxPixels) {
    RgbImage rgb;
    if (buffered != null) {
      long pixels = (long) buffered.getWidth() * buffered.getHeight();
      if (pixels > maxPixels) {
        throw new InvalidInputException("image is " + buffered.getWidth() + "x" + buffered.getHeight() + " ("
            + pixels + " pixels), over the limit of " + maxPixels + " pixels (Options.maxImagePixels)");
      }
      rgb = RgbImage.fromBufferedImage(buffered);
    } else if (file != null) {
      rgb = ImageFiles.decode(read(file), file.toString(), maxPixels);
    } else {
      rgb = ImageFiles.decode(bytes, "image", maxPixels);
    }
    return preprocessor.preprocess(rgb);
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read image: " + e, e);
    }
  }

  /** Where the image comes from: the file, {@code byte[N]} or {@code BufferedImage WxH}. */
  @Override
  public String toString() {
    return file != null ? file.toString() : bytes != null ? "byte[" + bytes.length + "]"
        : "BufferedImage " + buffered.getWidth() + "x" + buffered.getHeight();
  }
}
