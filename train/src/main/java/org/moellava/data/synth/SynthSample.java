package org.moellava.data.synth;

import java.util.List;
import org.moellava.data.Split;

/**
 * One synthetic image's annotations (the pixels come from {@link SynthWorld#render}).
 *
 * @param id unique id, {@code synth-<index>}
 * @param split the split owning it
 * @param scene the objects
 * @param caption the caption
 * @param conversation the question-answer turns of its instruction conversation
 */
public record SynthSample(String id, Split split, Scene scene, String caption, List<QaPair> conversation) {
  public SynthSample {
    conversation = List.copyOf(conversation);
  }
}
