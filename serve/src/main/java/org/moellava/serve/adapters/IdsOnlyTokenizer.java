package org.moellava.serve.adapters;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.moellava.error.InvalidInputException;
import org.moellava.serve.engine.TokenDecoder;
import org.moellava.serve.prompt.PromptTokenizer;

/**
 * For a model without {@code tokenizer.json} (e.g. an imported Hugging Face folder that shipped none): prompts
 * are token ids written as text ({@code "12 7 301"}, commas or spaces), and answers are the generated ids as
 * text ({@code "[5 9 1]"}-style, space separated, each followed by a space). Only {@code moellava generate
 * --ids-only} uses it; nothing is guessed.
 */
public final class IdsOnlyTokenizer implements PromptTokenizer, TokenDecoder {
  private final int vocabSize;

  public IdsOnlyTokenizer(int vocabSize) {
    this.vocabSize = vocabSize;
  }

  @Override
  public int[] encode(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) return new int[0];
    try {
      int[] ids = Arrays.stream(trimmed.split("[,\\s]+")).mapToInt(Integer::parseInt).toArray();
      for (int id : ids) {
        if (id < 0 || id >= vocabSize) {
          throw new InvalidInputException("token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        }
      }
      return ids;
    } catch (NumberFormatException e) {
      throw new InvalidInputException("an ids-only prompt must be token ids separated by spaces or commas, got '"
          + text + "'");
    }
  }

  @Override
  public String decode(int[] tokenIds, int count) {
    return Arrays.stream(tokenIds, 0, count).mapToObj(id -> id + " ").collect(Collectors.joining());
  }
}
