package org.moellava.serve.adapters;

import org.moellava.error.InvalidInputException;
import org.moellava.image.ImageFiles;
import org.moellava.image.ImagePreprocessor;
import org.moellava.image.RgbImage;
import org.moellava.serve.prompt.ImageDecoder;

/**
 * The server's {@link ImageDecoder} over the training pipeline's {@link ImagePreprocessor} (resize, centre crop
 * or mean-colour pad, mean/std from the model config), so a served image is normalised exactly as in training.
 * The byte limit is checked first, then, from the header alone, the declared dimensions against the pixel limit
 * and the work that padding or resizing would do ({@link ImagePreprocessor#checkWork}: the padded square must fit
 * the pixel limit too, and the aspect ratio is bounded), so no request allocates more than about
 * {@code maxPixels * 7} bytes (the decoded image and the padded copy, 3-4 bytes a pixel) before the model runs.
 */
public final class PreprocessorImageDecoder implements ImageDecoder {
  private final ImagePreprocessor preprocessor;
  private final long maxPixels;
  private final long maxBytes;

  public PreprocessorImageDecoder(ImagePreprocessor preprocessor, long maxPixels, long maxBytes) {
    if (maxPixels < 1 || maxBytes < 1) throw new InvalidInputException("image limits must be >= 1");
    this.preprocessor = preprocessor;
    this.maxPixels = maxPixels;
    this.maxBytes = maxBytes;
  }

  @Override
  public float[] decode(byte[] encodedImage) {
    if (encodedImage.length > maxBytes) {
      throw new InvalidInputException(
          "image is " + encodedImage.length + " bytes, over the limit of " + maxBytes + " bytes");
    }
    ImageFiles.Dimensions size = ImageFiles.dimensions(encodedImage, "image", maxPixels);
    preprocessor.checkWork(size.width(), size.height(), maxPixels, "image");
    RgbImage image = ImageFiles.decode(encodedImage, "image", maxPixels);
    return preprocessor.preprocess(image); // [3, S, S]
  }
}
