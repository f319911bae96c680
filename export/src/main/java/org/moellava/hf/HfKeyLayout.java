package org.moellava.hf;

import java.util.List;
import java.util.Map;

/**
 * The key prefixes different {@code transformers} versions use for the same Llava tensors, rewritten to the
 * layout of {@link HfWeightMapping} (what {@code save_pretrained} writes, as in the reference fixtures).
 */
public final class HfKeyLayout {
  private HfKeyLayout() {}

  /** Alternative prefix to canonical prefix, most specific first. */
  private static final List<Map.Entry<String, String>> REWRITES = List.of(
      Map.entry("model.vision_tower.vision_model.", "vision_tower."),
      Map.entry("model.vision_tower.", "vision_tower."),
      Map.entry("vision_tower.vision_model.", "vision_tower."),
      Map.entry("model.multi_modal_projector.", "multi_modal_projector."),
      Map.entry("model.language_model.", "language_model.model."),
      Map.entry("lm_head.", "language_model.lm_head."));

  /** The canonical form of a Hugging Face key. */
  public static String canonical(String key) {
    for (Map.Entry<String, String> r : REWRITES) {
      if (key.startsWith(r.getKey())) return r.getValue() + key.substring(r.getKey().length());
    }
    return key;
  }
}
