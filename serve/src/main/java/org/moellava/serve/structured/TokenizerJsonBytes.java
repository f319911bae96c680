package org.moellava.serve.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.error.JsonErrors;

/**
 * Each token's decoded bytes, read from a Hugging Face {@code tokenizer.json}, for the structured-output token mask.
 * Two decoders are understood, the ones MoE-LLaVA's language models use:
 *
 * <ul>
 *   <li>{@code ByteLevel} (GPT-2, Phi-2, Qwen, StableLM): a vocabulary string's characters are bytes through GPT-2's
 *       byte-to-character table, so a token may be part of a UTF-8 character;
 *   <li>SentencePiece style (Llama, Vicuna: a {@code Sequence} of {@code Replace "▁" → " "}, {@code ByteFallback},
 *       ... or {@code Metaspace}): {@code ▁} is a space, {@code <0xNN>} is the byte NN, anything else its UTF-8.
 * </ul>
 *
 * Added tokens marked special have no bytes; other added tokens are their content in UTF-8. Any other decoder
 * (WordPiece, WordLevel joined with spaces, ...) gives no per-token bytes: {@link #read} answers null and
 * structured output is refused for that model.
 */
public final class TokenizerJsonBytes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int[] GPT2_BYTE_OF_CHAR = gpt2Table();

  private TokenizerJsonBytes() {}

  /**
   * The bytes of ids {@code 0 .. vocabSize - 1} (null entries for special or undefined ids), or null when the
   * tokenizer's decoder is not one of those understood.
   */
  public static byte[][] read(Path tokenizerJson, int vocabSize) {
    JsonNode root;
    try {
      root = JSON.readTree(tokenizerJson.toFile());
    } catch (IOException e) {
      throw new InvalidInputException(tokenizerJson + ": malformed tokenizer JSON: " + JsonErrors.describe(e), e);
    }
    return of(root, vocabSize);
  }

  /** As {@link #read}, from the parsed file. */
  public static byte[][] of(JsonNode root, int vocabSize) {
    String style = style(root.path("decoder"));
    if (style == null) {
      return null;
    }
    byte[][] bytes = new byte[vocabSize][];
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        put(bytes, e.getValue().asInt(-1), decode(style, e.getKey()));
      }
    } else if (vocab.isArray()) { // Unigram: [[piece, score], ...]
      for (int i = 0; i < vocab.size(); i++) {
        put(bytes, i, decode(style, vocab.get(i).path(0).asText()));
      }
    } else {
      return null;
    }
    Map<Integer, byte[]> added = new HashMap<>();
    for (JsonNode token : root.path("added_tokens")) {
      int id = token.path("id").asInt(-1);
      added.put(id, token.path("special").asBoolean(false) ? null
          : token.path("content").asText().getBytes(StandardCharsets.UTF_8));
    }
    added.forEach((id, b) -> {
      if (id >= 0 && id < vocabSize) bytes[id] = b;
    });
    return bytes;
  }

  private static void put(byte[][] bytes, int id, byte[] value) {
    if (id >= 0 && id < bytes.length) bytes[id] = value;
  }

  /** "byte" (ByteLevel), "sp" (SentencePiece style), or null. */
  private static String style(JsonNode decoder) {
    String type = decoder.path("type").asText("");
    if (type.equals("ByteLevel")) return "byte";
    if (type.equals("Metaspace")) return "sp";
    if (type.equals("Sequence")) {
      boolean replace = false;
      for (JsonNode d : decoder.path("decoders")) {
        String t = d.path("type").asText("");
        if (t.equals("ByteLevel")) return "byte";
        if (t.equals("Metaspace")) return "sp";
        if (t.equals("Replace") && "\u2581".equals(d.path("pattern").path("String").asText(null))) replace = true;
      }
      return replace ? "sp" : null;
    }
    return null;
  }

  private static byte[] decode(String style, String token) {
    if (style.equals("byte")) {
      byte[] out = new byte[token.length()];
      for (int i = 0; i < token.length(); i++) {
        char c = token.charAt(i);
        int b = c < GPT2_BYTE_OF_CHAR.length ? GPT2_BYTE_OF_CHAR[c] : -1;
        if (b < 0) return token.getBytes(StandardCharsets.UTF_8); // not a byte-level string (an added token)
        out[i] = (byte) b;
      }
      return out;
    }
    if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
      try {
        return new byte[] {(byte) Integer.parseInt(token.substring(3, 5), 16)};
      } catch (NumberFormatException e) {
        // not a byte token: its text below
      }
    }
    return token.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
  }

  /** GPT-2's bytes_to_unicode, inverted: character code to byte, -1 for other characters. */
  private static int[] gpt2Table() {
    int[] table = new int[512];
    java.util.Arrays.fill(table, -1);
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      table[printable ? b : next++] = b;
    }
    return table;
  }
}
