package org.moellava.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes the Hugging Face {@code tokenizer.json} of a byte-level BPE model (GPT-2's byte-to-unicode alphabet): the
 * shared part of {@link TiktokenConverter} and {@link Gpt2BpeConverter}.
 */
final class ByteLevelBpeJson {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String[] BYTE_TO_UNICODE = byteToUnicode();

  private ByteLevelBpeJson() {}

  /** GPT-2's {@code bytes_to_unicode}: printable bytes map to themselves, the others to U+0100 and up, in order. */
  private static String[] byteToUnicode() {
    String[] out = new String[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      out[b] = printable ? String.valueOf((char) b) : String.valueOf((char) (256 + n++));
    }
    return out;
  }

  /** A token's bytes in GPT-2's byte-level alphabet (one character per byte). */
  static String toByteLevel(byte[] token) {
    StringBuilder sb = new StringBuilder(token.length);
    for (byte b : token) sb.append(BYTE_TO_UNICODE[b & 0xFF]);
    return sb.toString();
  }

  /** GPT-2's byte-level alphabet, byte by byte. */
  static String[] alphabet() {
    return BYTE_TO_UNICODE.clone();
  }

  /**
   * The tokenizer JSON.
   *
   * @param vocab byte-level token string to id, in id order
   * @param merges merges in priority order, each {@code "left right"}
   * @param specials added special tokens (content to id), matched before anything else
   * @param nfc NFC-normalise the text first
   * @param splitPattern the pre-tokenizer regex (tiktoken's {@code pat_str}), or null for GPT-2's built-in one
   * @param ignoreMerges a pre-token that is itself in the vocabulary is one token (tiktoken's rule)
   */
  static byte[] build(Map<String, Integer> vocab, List<String> merges, Map<String, Integer> specials, boolean nfc,
      String splitPattern, boolean ignoreMerges) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    specials.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> added.addObject()
        .put("id", e.getValue()).put("content", e.getKey()).put("single_word", false).put("lstrip", false)
        .put("rstrip", false).put("normalized", false).put("special", true));
    if (nfc) {
      root.putObject("normalizer").put("type", "NFC");
    } else {
      root.putNull("normalizer");
    }
    ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
        .put("trim_offsets", true).put("use_regex", splitPattern == null);
    if (splitPattern == null) {
      root.set("pre_tokenizer", byteLevel);
    } else {
      ObjectNode seq = root.putObject("pre_tokenizer").put("type", "Sequence");
      ArrayNode list = seq.putArray("pretokenizers");
      ObjectNode split = list.addObject().put("type", "Split");
      split.putObject("pattern").put("Regex", splitPattern);
      split.put("behavior", "Isolated").put("invert", false);
      list.add(byteLevel);
    }
    root.putNull("post_processor");
    root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
        .put("use_regex", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
        .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false)
        .put("ignore_merges", ignoreMerges);
    ObjectNode v = model.putObject("vocab");
    vocab.forEach(v::put);
    // the special tokens are in the model's vocabulary too: tokenizers keeps an added token's id only when the
    // model knows it, and would otherwise renumber it after the vocabulary
    specials.forEach((content, id) -> {
      if (!vocab.containsKey(content)) v.put(content, id);
    });
    ArrayNode m = model.putArray("merges");
    merges.forEach(m::add);
    try {
      return (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise tokenizer.json", e);
    }
  }
}
