package org.moellava.serve.fake;

import org.moellava.config.ModelConfig;
import org.moellava.image.ImagePreprocessor;
import org.moellava.serve.adapters.PreprocessorImageDecoder;

/** The server's image decoder for tests: CLIP mean/std, resize and centre crop, the given limits. */
public final class ClipImages {
  private ClipImages() {}

  /** A decoder to {@code [3, imageSize, imageSize]} refusing more than the given pixels or bytes. */
  public static PreprocessorImageDecoder decoder(int imageSize, long maxPixels, long maxBytes) {
    return new PreprocessorImageDecoder(new ImagePreprocessor(imageSize, ModelConfig.CLIP_MEAN, ModelConfig.CLIP_STD,
        ImagePreprocessor.AspectMode.CROP), maxPixels, maxBytes);
  }
}
