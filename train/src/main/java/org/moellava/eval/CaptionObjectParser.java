package org.moellava.eval;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds the object categories a caption mentions: every word (lower case, punctuation stripped) that is a
 * known name of a category, singular or plural, maps to that category.
 */
public final class CaptionObjectParser {
  private final Map<String, String> nameToCategory;

  /** @param nameToCategory every accepted word (e.g. "circle", "circles") mapped to its category ("circle") */
  public CaptionObjectParser(Map<String, String> nameToCategory) {
    this.nameToCategory = Map.copyOf(nameToCategory);
  }

  /** Categories mentioned in {@code caption}, in order of first mention. */
  public Set<String> mentions(String caption) {
    Set<String> found = new LinkedHashSet<>();
    for (String word : caption.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      String category = nameToCategory.get(word);
      if (category != null) found.add(category);
    }
    return found;
  }
}
