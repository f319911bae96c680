package org.moellava.eval;

import java.util.Locale;
import java.util.Map;

/**
 * Normalises short answers for exact-match VQA scoring, in the spirit of the VQA v2 evaluation: lower case,
 * punctuation removed, articles (a, an, the) dropped, number words zero-ten written as digits, whitespace
 * collapsed. "Two." and "2" both become "2"; "The circle" becomes "circle".
 */
public final class AnswerNormalizer {
  private static final Map<String, String> NUMBERS = Map.ofEntries(
      Map.entry("zero", "0"), Map.entry("one", "1"), Map.entry("two", "2"), Map.entry("three", "3"),
      Map.entry("four", "4"), Map.entry("five", "5"), Map.entry("six", "6"), Map.entry("seven", "7"),
      Map.entry("eight", "8"), Map.entry("nine", "9"), Map.entry("ten", "10"));

  private AnswerNormalizer() {}

  /** The normalised form of {@code answer}. */
  public static String normalize(String answer) {
    if (answer == null) return "";
    String cleaned = answer.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\s]", " ");
    StringBuilder sb = new StringBuilder();
    for (String word : cleaned.trim().split("\\s+")) {
      if (word.isEmpty() || word.equals("a") || word.equals("an") || word.equals("the")) continue;
      if (sb.length() > 0) sb.append(' ');
      sb.append(NUMBERS.getOrDefault(word, word));
    }
    return sb.toString();
  }

  /** Whether {@code prediction} matches {@code reference} after normalisation. */
  public static boolean matches(String prediction, String reference) {
    return normalize(prediction).equals(normalize(reference));
  }
}
