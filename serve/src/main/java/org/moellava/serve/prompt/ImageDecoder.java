package org.moellava.serve.prompt;

/**
 * Encoded image bytes to the vision tower's input; the project's real preprocessor plugs in here.
 * Implementations reject, with {@link org.moellava.error.InvalidInputException}, bytes that are not an image
 * and images over their pixel or byte limit, checking the declared dimensions before decoding pixels (so a
 * small file that declares a huge image, a decompression bomb, is refused cheaply).
 */
@FunctionalInterface
public interface ImageDecoder {
  /** Pixel values {@code [3, H, W]}, normalised for the vision tower. */
  float[] decode(byte[] encodedImage);
}
