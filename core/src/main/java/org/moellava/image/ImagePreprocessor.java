package org.moellava.image;

import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;

/**
 * Turns an RGB image into CLIP {@code pixel_values}, as Hugging Face's {@code CLIPImageProcessor} does:
 * resize the shortest side to {@code imageSize} (bicubic, Pillow's), centre crop to {@code imageSize}²,
 * rescale by 1/255, normalise with per-channel mean and std, and lay out channels first.
 *
 * <p>In {@code pad} aspect mode (MoE-LLaVA's {@code image_aspect_ratio = "pad"}), the image is first expanded
 * to a square filled with the mean colour ({@code int(mean * 255)} per channel, LLaVA's
 * {@code expand2square}) with the original centred, so nothing is cropped away.
 */
public final class ImagePreprocessor {
  /** Aspect handling. */
  public enum AspectMode {
    /** Resize the shortest side, then centre crop. */
    CROP,
    /** Pad to a square with the mean colour, then resize. */
    PAD;

    /** Parses {@code crop} or {@code pad}. */
    public static AspectMode parse(String name) {
      return switch (name) {
        case "crop" -> CROP;
        case "pad" -> PAD;
        default -> throw new ConfigException("image_aspect_mode: unknown mode '" + name + "' (crop, pad)");
      };
    }
  }

  /**
   * Largest accepted ratio of an image's long side to its short side, checked before any pixel is allocated; the
   * value Qwen2-VL's {@code smart_resize} refuses above. A thin strip would otherwise cost its long side squared
   * when padded (a 26754x1 PNG of 106 bytes: 2.1 GB).
   */
  public static final int MAX_ASPECT_RATIO = 200;

  private final int imageSize;
  private final double[] mean;
  private final double[] std;
  private final AspectMode aspectMode;

  /** A preprocessor producing {@code [3, imageSize, imageSize]} with the given per-channel mean and std. */
  public ImagePreprocessor(int imageSize, List<Double> mean, List<Double> std, AspectMode aspectMode) {
    if (imageSize <= 0) throw new ConfigException("image_size must be positive, got " + imageSize);
    if (mean.size() != 3 || std.size() != 3) {
      throw new ConfigException("image_mean and image_std need 3 values each, got " + mean.size() + " and " + std.size());
    }
    this.imageSize = imageSize;
    this.mean = mean.stream().mapToDouble(Double::doubleValue).toArray();
    this.std = std.stream().mapToDouble(Double::doubleValue).toArray();
    this.aspectMode = aspectMode;
  }

  /** The preprocessor a model config describes (image size, mean, std, aspect mode). */
  public static ImagePreprocessor fromConfig(ModelConfig config) {
    return new ImagePreprocessor(config.visionConfig().imageSize(), config.imageMean(), config.imageStd(),
        AspectMode.parse(config.imageAspectMode()));
  }

  /** Output side length. */
  public int imageSize() {
    return imageSize;
  }

  /** Floats per image: {@code 3 * imageSize * imageSize}. */
  public int valuesPerImage() {
    return 3 * imageSize * imageSize;
  }

  /**
   * Pixels that preprocessing a {@code width x height} image holds at once at most: the decoded image, then the
   * padded square (pad mode) or the image resized so its short side is the output size (crop mode).
   */
  public long workPixels(int width, int height) {
    long side = Math.max(width, height);
    long shortSide = Math.min(width, height);
    long decoded = (long) width * height;
    long resized = aspectMode == AspectMode.PAD
        ? side * side
        : (long) imageSize * ((long) imageSize * side / Math.max(1, shortSide));
    return Math.max(decoded, resized);
  }

  /**
   * Refuses, before anything is allocated, an image whose aspect ratio is over {@link #MAX_ASPECT_RATIO} or whose
   * preprocessing would hold more than {@code maxPixels} pixels ({@link #workPixels}).
   *
   * @param name the image's name in the error message
   */
  public void checkWork(int width, int height, long maxPixels, String name) {
    if (width <= 0 || height <= 0) {
      throw new InvalidInputException(name + ": image has invalid size " + width + "x" + height);
    }
    long ratio = Math.max(width, height) / Math.min(width, height);
    if (ratio > MAX_ASPECT_RATIO) {
      throw new InvalidInputException(name + ": image is " + width + "x" + height + ", aspect ratio " + ratio
          + ":1 is over the limit of " + MAX_ASPECT_RATIO + ":1");
    }
    long work = workPixels(width, height);
    if (work > maxPixels) {
      throw new InvalidInputException(name + ": image is " + width + "x" + height + "; "
          + (aspectMode == AspectMode.PAD ? "padded to a square" : "resized") + " it needs " + work
          + " pixels, above the limit of " + maxPixels);
    }
  }

  /** Preprocesses one image into a new {@code [3, S, S]} array. */
  public float[] preprocess(RgbImage image) {
    float[] out = new float[valuesPerImage()];
    preprocessInto(image, out, 0);
    return out;
  }

  /** Preprocesses one image into {@code out[offset .. offset + 3*S*S)}, channels first: {@code [3, S, S]}. */
  public void preprocessInto(RgbImage image, float[] out, int offset) {
    checkWork(image.width(), image.height(), ImageFiles.DEFAULT_MAX_PIXELS, "image");
    RgbImage square = aspectMode == AspectMode.PAD ? expandToSquare(image) : image;
    RgbImage resized = resizeShortestSide(square, imageSize);
    RgbImage cropped = centreCrop(resized, imageSize);
    int plane = imageSize * imageSize;
    byte[] rgb = cropped.rgb();
    for (int c = 0; c < 3; c++) {
      double scale = 1.0 / (255.0 * std[c]);
      double shift = mean[c] / std[c];
      for (int i = 0; i < plane; i++) {
        out[offset + c * plane + i] = (float) ((rgb[i * 3 + c] & 0xFF) * scale - shift);
      }
    }
  }

  /** LLaVA's {@code expand2square}: the image centred on a square of the mean colour. */
  public RgbImage expandToSquare(RgbImage image) {
    int w = image.width();
    int h = image.height();
    if (w == h) return image;
    int side = Math.max(w, h);
    RgbImage canvas = RgbImage.filled(side, side, (int) (mean[0] * 255), (int) (mean[1] * 255), (int) (mean[2] * 255));
    int left = (side - w) / 2;
    int top = (side - h) / 2;
    for (int y = 0; y < h; y++) {
      System.arraycopy(image.rgb(), y * w * 3, canvas.rgb(), ((y + top) * side + left) * 3, w * 3);
    }
    return canvas;
  }

  /**
   * Resizes so the shorter side becomes {@code size}; the longer side is {@code int(size * long / short)},
   * as in Hugging Face's {@code get_resize_output_image_size(default_to_square=False)}.
   */
  public static RgbImage resizeShortestSide(RgbImage image, int size) {
    int w = image.width();
    int h = image.height();
    int shortSide = Math.min(w, h);
    int longSide = Math.max(w, h);
    int newLong = (int) ((long) size * longSide / shortSide);
    int newW = w <= h ? size : newLong;
    int newH = w <= h ? newLong : size;
    return BicubicResize.resize(image, newW, newH);
  }

  /** The centred {@code size x size} crop (top and left offsets rounded down). */
  public static RgbImage centreCrop(RgbImage image, int size) {
    if (image.width() == size && image.height() == size) return image;
    int top = (image.height() - size) / 2;
    int left = (image.width() - size) / 2;
    byte[] out = new byte[size * size * 3];
    for (int y = 0; y < size; y++) {
      System.arraycopy(image.rgb(), ((y + top) * image.width() + left) * 3, out, y * size * 3, size * 3);
    }
    return new RgbImage(size, size, out);
  }
}
