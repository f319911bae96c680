package org.moellava.eval;

import org.moellava.image.RgbImage;

/** Anything that answers a question about an image; the model-driven runner implements it. */
@FunctionalInterface
public interface Answerer {
  /**
   * The answer to {@code question}.
   *
   * @param image the image, or null for a text-only question
   * @param question the question text (no {@code <image>} placeholder; the implementation adds its template)
   */
  String answer(RgbImage image, String question);
}
