package org.moellava.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.moellava.error.InvalidInputException;

/**
 * Reads PNG and JPEG images (anything {@code javax.imageio} decodes) and writes PNG. Before decoding, the
 * header's dimensions are checked against a pixel limit, so a small file that claims a huge image (a
 * decompression bomb) is rejected without allocating its pixels.
 */
public final class ImageFiles {
  /** Default limit: 89,478,485 pixels, PIL's {@code Image.MAX_IMAGE_PIXELS}. */
  public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

  static {
    ImageIO.setUseCache(false);
  }

  private ImageFiles() {}

  /** Width and height from an image header. */
  public record Dimensions(int width, int height) {
    /** width × height. */
    public long pixels() {
      return (long) width * height;
    }
  }

  /** Reads and decodes {@code file} with the default pixel limit. */
  public static RgbImage read(Path file) {
    return read(file, DEFAULT_MAX_PIXELS);
  }

  /** Reads and decodes {@code file}; rejects images with more than {@code maxPixels} pixels. */
  public static RgbImage read(Path file, long maxPixels) {
    return decode(readBytes(file), file.toString(), maxPixels);
  }

  /** Reads only the header of {@code file}: its dimensions, checked against {@code maxPixels}. */
  public static Dimensions readDimensions(Path file, long maxPixels) {
    return dimensions(readBytes(file), file.toString(), maxPixels);
  }

  /** Reads only the header of encoded image bytes: its dimensions, checked against {@code maxPixels}. */
  public static Dimensions dimensions(byte[] bytes, String name, long maxPixels) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      ImageReader reader = readerFor(in, name);
      try {
        reader.setInput(in, true, true);
        return checkedDimensions(reader, name, maxPixels);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidInputException invalid) throw invalid;
      throw new InvalidInputException(name + ": cannot decode image header: " + e.getMessage(), e);
    }
  }

  /** Decodes image bytes; {@code name} appears in error messages. */
  public static RgbImage decode(byte[] bytes, String name, long maxPixels) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      ImageReader reader = readerFor(in, name);
      try {
        reader.setInput(in, true, true);
        checkedDimensions(reader, name, maxPixels);
        BufferedImage image = reader.read(0);
        return RgbImage.fromBufferedImage(image);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidInputException invalid) throw invalid;
      throw new InvalidInputException(name + ": cannot decode image: " + e.getMessage(), e);
    }
  }

  /** Encodes {@code image} as PNG. */
  public static byte[] encodePng(RgbImage image) {
    try (ByteArrayOutputStream out = new ByteArrayOutputStream(image.rgb().length / 2 + 256)) {
      if (!ImageIO.write(image.toBufferedImage(), "png", out)) {
        throw new IllegalStateException("no PNG writer in javax.imageio");
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("PNG encoding to memory failed", e);
    }
  }

  private static ImageReader readerFor(ImageInputStream in, String name) {
    if (in == null) throw new InvalidInputException(name + ": cannot open image stream");
    Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
    if (!readers.hasNext()) {
      throw new InvalidInputException(name + ": not a decodable image (supported: PNG, JPEG, BMP, GIF)");
    }
    return readers.next();
  }

  private static Dimensions checkedDimensions(ImageReader reader, String name, long maxPixels) throws IOException {
    Dimensions d = new Dimensions(reader.getWidth(0), reader.getHeight(0));
    if (d.width() <= 0 || d.height() <= 0) {
      throw new InvalidInputException(name + ": image header has invalid size " + d.width() + "x" + d.height());
    }
    if (d.pixels() > maxPixels) {
      throw new InvalidInputException(name + ": image is " + d.width() + "x" + d.height() + " = " + d.pixels()
          + " pixels, above the limit of " + maxPixels + " (possible decompression bomb)");
    }
    return d;
  }

  private static byte[] readBytes(Path file) {
    if (!Files.isRegularFile(file)) throw new InvalidInputException(file + ": image file not found");
    try (InputStream in = Files.newInputStream(file)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read image: " + e.getMessage(), e);
    }
  }
}
