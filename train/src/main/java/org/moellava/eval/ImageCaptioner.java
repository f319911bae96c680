package org.moellava.eval;

import java.util.List;
import org.moellava.image.RgbImage;

/** Anything that captions images; the model-driven runner implements it. */
@FunctionalInterface
public interface ImageCaptioner {
  /** One caption per image, in order. */
  List<String> captionAll(List<RgbImage> images);
}
