package org.moellava.data.synth;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Captions a scene by listing every object with size, colour, shape and position, e.g. "a small red circle on
 * the left and a large blue square in the centre." Three openings vary the wording.
 */
public final class Captioner {
  /**
   * The instruction that asks for a caption in a chat conversation (stages II-III); its answer is the caption.
   * Uses only words of the synthetic vocabulary.
   */
  public static final String REQUEST = "what is in this image?";

  private static final String[] OPENINGS = {"", "there is ", "this image shows "};

  /** A caption of {@code scene}. */
  public String caption(Scene scene, SplittableRandom random) {
    return OPENINGS[random.nextInt(OPENINGS.length)] + objectList(scene.objects()) + ".";
  }

  /** "a ..., a ... and a ..." */
  static String objectList(List<SynthObject> objects) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < objects.size(); i++) {
      if (i > 0) sb.append(i == objects.size() - 1 ? " and " : ", ");
      sb.append(objects.get(i).phrase());
    }
    return sb.toString();
  }
}
