package org.moellava.serve.fake;

import org.moellava.config.ModelConfig;
import org.moellava.image.ImagePreprocessor;
import org.moellava.serve.adapters.PreprocessorImageDecoder;

/** The server's image decoder for tests: CLIP mean/std, the given limits. */
public final class ClipImages {
  private ClipImages() {}

  /** A decoder to {@code [3, imageSize, imageSize]} refusing more than the given pixels or bytes. */
  public static PreprocessorImageDecoder decoder(int imageSize, long maxPixels, long maxBytes) {
    return decoder(imageSize, maxPixels, maxBytes, ImagePreprocessor.AspectMode.CROP);
  }

  /** The same with the given aspect handling (MoE-LLaVA pads to a square). */
  public static PreprocessorImageDecoder decoder(int imageSize, long maxPixels, long maxBytes,
      ImagePreprocessor.AspectMode aspectMode) {
    return new PreprocessorImageDecoder(new ImagePreprocessor(imageSize, ModelConfig.CLIP_MEAN, ModelConfig.CLIP_STD,
        aspectMode), maxPixels, maxBytes);
  }
}
