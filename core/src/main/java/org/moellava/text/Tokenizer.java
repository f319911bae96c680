package org.moellava.text;

import org.moellava.error.JsonErrors;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.moellava.error.BackendUnavailableException;
import org.moellava.error.InvalidInputException;

/**
 * A Hugging Face {@code tokenizer.json} (any model type: BPE, WordPiece, Unigram, WordLevel), run by the
 * Rust {@code tokenizers} library through DJL. DJL's jar bundles the linux-x86_64 native library; on first use
 * it is copied to {@code ~/.djl.ai/tokenizers/} (or {@code $DJL_CACHE_DIR}), with no download.
 *
 * <p>{@link #encode} adds no special tokens: templates place {@code <image>}, eos and padding themselves. It never
 * truncates, whatever the length (DJL's default would cut at 512 tokens).
 * Close the tokenizer to free its native handle.
 */
public final class Tokenizer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final HuggingFaceTokenizer tokenizer;
  private final Map<String, Integer> vocabulary;
  private final int vocabSize;

  private Tokenizer(Path file, HuggingFaceTokenizer tokenizer, Map<String, Integer> vocabulary) {
    this.file = file;
    this.tokenizer = tokenizer;
    this.vocabulary = Map.copyOf(vocabulary);
    this.vocabSize = vocabulary.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
  }

  /** Loads a {@code tokenizer.json} file. */
  public static Tokenizer load(Path tokenizerJson) {
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new InvalidInputException(tokenizerJson + ": tokenizer file not found");
    }
    Map<String, Integer> vocabulary = readVocabulary(tokenizerJson);
    HuggingFaceTokenizer hf;
    try {
      hf = HuggingFaceTokenizer.builder()
          .optTokenizerPath(tokenizerJson)
          .optAddSpecialTokens(false)
          // DJL truncates to 512 tokens by default; a prompt is never cut here: the context limit is checked
          // where the whole sequence is known, and a prompt over it is refused with its true length.
          .optTruncation(false)
          .build();
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException(tokenizerJson + ": cannot load tokenizer: " + e.getMessage(), e);
    } catch (UnsatisfiedLinkError e) {
      throw new BackendUnavailableException("tokenizers native library (DJL) cannot be loaded on this machine: "
          + e.getMessage(), e);
    }
    return new Tokenizer(tokenizerJson, hf, vocabulary);
  }

  /** The file this tokenizer was read from. */
  public Path file() {
    return file;
  }

  /** Token ids of {@code text}, without special tokens added. */
  public int[] encode(String text) {
    Encoding encoding = tokenizer.encode(text, false, false);
    long[] ids = encoding.getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
    return out;
  }

  /** Token strings of {@code text} (for debugging and tests). */
  public String[] tokens(String text) {
    return tokenizer.encode(text, false, false).getTokens();
  }

  /** Text of {@code ids}, special tokens skipped. */
  public String decode(int[] ids) {
    return decode(ids, true);
  }

  /** Text of {@code ids}; special tokens are kept when {@code skipSpecialTokens} is false. */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) longs[i] = ids[i];
    return tokenizer.decode(longs, skipSpecialTokens);
  }

  /** Id of an exact vocabulary or added token, e.g. {@code "<eos>"}. */
  public int tokenId(String token) {
    Integer id = vocabulary.get(token);
    if (id == null) throw new InvalidInputException(file + ": token '" + token + "' is not in the vocabulary");
    return id;
  }

  /** Whether {@code token} is a vocabulary or added token. */
  public boolean hasToken(String token) {
    return vocabulary.containsKey(token);
  }

  /** One more than the largest token id (vocabulary and added tokens). */
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static Map<String, Integer> readVocabulary(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new InvalidInputException(file + ": malformed tokenizer JSON: " + JsonErrors.describe(e), e);
    }
    Map<String, Integer> vocabulary = new HashMap<>();
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        vocabulary.put(e.getKey(), e.getValue().asInt());
      }
    } else if (vocab.isArray()) { // Unigram: [[piece, score], ...]
      for (int i = 0; i < vocab.size(); i++) vocabulary.put(vocab.get(i).path(0).asText(), i);
    }
    for (JsonNode added : root.path("added_tokens")) {
      vocabulary.put(added.path("content").asText(), added.path("id").asInt());
    }
    if (vocabulary.isEmpty()) throw new InvalidInputException(file + ": tokenizer has an empty vocabulary");
    return vocabulary;
  }
}
