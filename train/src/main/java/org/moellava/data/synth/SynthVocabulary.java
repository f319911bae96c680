package org.moellava.data.synth;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.moellava.text.WordLevelTokenizerJson;

/**
 * The closed vocabulary of the synthetic world and its WordLevel {@code tokenizer.json}. Special tokens take
 * ids {@code <pad>=0, <eos>=1, <image>=2, <unk>=3} (the {@code tiny} preset's pad, eos and image_token_index);
 * then punctuation, then every word any caption, question, answer, system prompt or chat template uses.
 */
public final class SynthVocabulary {
  /** Special tokens in id order. */
  public static final List<String> SPECIAL_TOKENS = List.of("<pad>", "<eos>", "<image>", "<unk>");
  /** Padding id. */
  public static final int PAD_ID = 0;
  /** End-of-sequence id. */
  public static final int EOS_ID = 1;
  /** Image placeholder id. */
  public static final int IMAGE_ID = 2;
  /** Unknown-word id. */
  public static final int UNK_ID = 3;
  /** The system prompt of synthetic chat conversations. */
  public static final String SYSTEM_PROMPT = org.moellava.config.Presets.SYNTHETIC_SYSTEM_PROMPT;

  private static final List<String> FUNCTION_WORDS = List.of(
      "a", "the", "on", "at", "in", "and", "there", "is", "are", "what", "colour", "shape", "how", "many",
      "objects", "where", "size", "this", "image", "shows", "comes", "after", "sides", "does", "have",
      "opposite", "of", "chat", "about", "shapes", "colours", "yes", "no", "USER", "ASSISTANT");

  private SynthVocabulary() {}

  /** Ordinary tokens (everything except the special tokens), in id order from 4. */
  public static List<String> words() {
    List<String> words = new ArrayList<>(List.of(".", ",", "?", ":"));
    for (Shape s : Shape.values()) {
      words.add(s.word());
      words.add(s.plural());
    }
    for (Colour c : Colour.values()) words.add(c.word());
    for (ObjectSize s : ObjectSize.values()) words.add(s.word());
    for (Position p : Position.values()) words.add(p.word());
    words.addAll(List.of(Numbers.WORDS));
    words.addAll(FUNCTION_WORDS);
    return words;
  }

  /** The tokenizer JSON; fails with a {@link org.moellava.error.ConfigException} if it needs more than {@code vocabSize} ids. */
  public static String tokenizerJson(int vocabSize) {
    return WordLevelTokenizerJson.build(SPECIAL_TOKENS, "<unk>", words(), vocabSize);
  }

  /** Writes the tokenizer JSON atomically to {@code target}. */
  public static void writeTokenizer(Path target, int vocabSize) {
    WordLevelTokenizerJson.write(target, SPECIAL_TOKENS, "<unk>", words(), vocabSize);
  }
}
