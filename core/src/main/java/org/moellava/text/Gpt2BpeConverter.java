package org.moellava.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;

/**
 * Converts a GPT-2 style byte-level BPE tokenizer (Phi-2's CodeGenTokenizer: {@code vocab.json}, {@code merges.txt},
 * {@code added_tokens.json}) to a Hugging Face {@code tokenizer.json}: GPT-2's pre-tokenizer, the merges in file
 * order, no prefix space, no normalisation; the added tokens (and every vocabulary token the family marks special,
 * such as {@code <|endoftext|>}) are matched before anything else.
 */
public final class Gpt2BpeConverter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Gpt2BpeConverter() {}

  /**
   * The {@code tokenizer.json} bytes.
   *
   * @param vocabJson {@code vocab.json}: byte-level token string to id
   * @param mergesTxt {@code merges.txt}: an optional {@code #version} line, then {@code left right} per line
   * @param addedTokensJson {@code added_tokens.json} (content to id), or null
   * @param specialTokens vocabulary tokens to match as special tokens (for example {@code <|endoftext|>})
   */
  public static byte[] convert(byte[] vocabJson, byte[] mergesTxt, byte[] addedTokensJson, List<String> specialTokens) {
    Map<String, Integer> vocab = new LinkedHashMap<>();
    JsonNode v = parse(vocabJson, "vocab.json");
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToInt()) {
        throw new InvalidInputException("vocab.json: token '" + e.getKey() + "' has a non-integer id " + e.getValue());
      }
      vocab.put(e.getKey(), e.getValue().asInt());
    }
    for (String a : ByteLevelBpeJson.alphabet()) {
      if (!vocab.containsKey(a)) {
        throw new InvalidInputException("vocab.json: the byte-level symbol '" + a + "' is missing");
      }
    }
    List<String> merges = new ArrayList<>();
    String[] lines = new String(mergesTxt, StandardCharsets.UTF_8).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].replace("\r", "");
      if (line.isBlank() || (i == 0 && line.startsWith("#version"))) continue;
      String[] parts = line.split(" ");
      if (parts.length != 2 || !vocab.containsKey(parts[0]) || !vocab.containsKey(parts[1])
          || !vocab.containsKey(parts[0] + parts[1])) {
        throw new InvalidInputException("merges.txt: line " + (i + 1) + ": '" + line + "' is not a merge of two "
            + "vocabulary tokens into a third");
      }
      merges.add(line);
    }
    Map<String, Integer> specials = new LinkedHashMap<>();
    for (String s : specialTokens) {
      Integer id = vocab.get(s);
      if (id != null) specials.put(s, id);
    }
    if (addedTokensJson != null) {
      JsonNode added = parse(addedTokensJson, "added_tokens.json");
      for (Iterator<Map.Entry<String, JsonNode>> it = added.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().canConvertToInt()) {
          throw new InvalidInputException("added_tokens.json: token '" + e.getKey() + "' has a non-integer id");
        }
        specials.put(e.getKey(), e.getValue().asInt());
      }
    }
    return ByteLevelBpeJson.build(vocab, merges, specials, false, null, false);
  }

  private static JsonNode parse(byte[] bytes, String name) {
    try {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !n.isObject()) throw new InvalidInputException(name + ": not a JSON object");
      return n;
    } catch (IOException e) {
      throw new InvalidInputException(name + ": invalid JSON: " + e.getMessage(), e);
    }
  }
}
