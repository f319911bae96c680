package org.moellava.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.moellava.error.ConfigException;
import org.moellava.io.AtomicFiles;

/**
 * Builds a Hugging Face {@code tokenizer.json} for a WordLevel model: special tokens first (ids 0..n-1, as
 * {@code added_tokens}), then the words in order. Text is split by the {@code Whitespace} pre-tokenizer
 * ({@code \w+|[^\w\s]+}); decoding uses the {@code WordPiece} decoder with cleanup, which joins tokens with
 * spaces and removes the space before {@code . , ? !}, so a sentence like "is there a red circle?" decodes
 * back to itself. Whitespace (including newlines) is not represented.
 */
public final class WordLevelTokenizerJson {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private WordLevelTokenizerJson() {}

  /**
   * The tokenizer JSON text.
   *
   * @param specialTokens special tokens in id order (0, 1, ...)
   * @param unkToken the unknown token; must be one of {@code specialTokens}
   * @param words the ordinary vocabulary, ids following the special tokens
   * @param maxVocabSize the model's vocab_size; more tokens than this is an error
   */
  public static String build(List<String> specialTokens, String unkToken, List<String> words, int maxVocabSize) {
    if (!specialTokens.contains(unkToken)) {
      throw new ConfigException("unk token '" + unkToken + "' must be one of the special tokens " + specialTokens);
    }
    Set<String> all = new LinkedHashSet<>(specialTokens);
    for (String w : words) {
      if (!all.add(w)) throw new ConfigException("tokenizer vocabulary lists '" + w + "' twice");
    }
    if (all.size() > maxVocabSize) {
      throw new ConfigException("tokenizer vocabulary needs " + all.size() + " ids but vocab_size is "
          + maxVocabSize + "; raise text_config.vocab_size");
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < specialTokens.size(); i++) {
      ObjectNode t = added.addObject();
      t.put("id", i);
      t.put("content", specialTokens.get(i));
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putNull("normalizer");
    root.putObject("pre_tokenizer").put("type", "Whitespace");
    root.putNull("post_processor");
    ObjectNode decoder = root.putObject("decoder");
    decoder.put("type", "WordPiece");
    decoder.put("prefix", "##");
    decoder.put("cleanup", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "WordLevel");
    ObjectNode vocab = model.putObject("vocab");
    int id = 0;
    for (String token : all) vocab.put(token, id++);
    model.put("unk_token", unkToken);
    try {
      return JSON.writeValueAsString(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("tokenizer JSON serialisation failed", e);
    }
  }

  /** Builds the JSON and writes it atomically to {@code target}. */
  public static void write(java.nio.file.Path target, List<String> specialTokens, String unkToken,
      List<String> words, int maxVocabSize) {
    AtomicFiles.writeString(target, build(specialTokens, unkToken, words, maxVocabSize));
  }
}
