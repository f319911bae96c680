package org.moellava.eval;

import java.util.Locale;
import java.util.Set;

/**
 * A parsed yes/no answer. Parsing looks at the first sentence only: a leading "yes"/"no" decides; otherwise a
 * negation word (no, not, none, nothing, n't) means NO, and "yes"/"there is"/"there are" means YES (POPE's
 * rule, made stricter: text with neither is UNKNOWN rather than yes). UNKNOWN counts as a "no" prediction in
 * {@link BinaryMetrics} and is reported separately.
 */
public enum YesNo {
  YES, NO, UNKNOWN;

  private static final Set<String> NEGATIONS = Set.of("no", "not", "none", "nothing", "nope", "never");

  /** Parses a free-text answer. */
  public static YesNo parse(String answer) {
    if (answer == null) return UNKNOWN;
    String text = answer.strip().toLowerCase(Locale.ROOT);
    int stop = firstSentenceEnd(text);
    if (stop >= 0) text = text.substring(0, stop);
    String[] words = text.replaceAll("[^a-z' ]", " ").trim().split("\\s+");
    if (words.length == 0 || words[0].isEmpty()) return UNKNOWN;
    if (words[0].equals("yes") || words[0].equals("yeah") || words[0].equals("yep")) return YES;
    if (NEGATIONS.contains(words[0])) return NO;
    for (String w : words) {
      if (NEGATIONS.contains(w) || w.endsWith("n't")) return NO;
    }
    for (int i = 0; i < words.length; i++) {
      if (words[i].equals("yes")) return YES;
      if (words[i].equals("there") && i + 1 < words.length && (words[i + 1].equals("is") || words[i + 1].equals("are"))) {
        return YES;
      }
    }
    return UNKNOWN;
  }

  private static int firstSentenceEnd(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c == '.' || c == '!' || c == '?') && i > 0) return i;
    }
    return -1;
  }
}
