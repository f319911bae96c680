package org.moellava.serve.engine;

/**
 * Token ids to text; the real tokenizer (Hugging Face {@code tokenizer.json}) plugs in here. The engine
 * decodes the whole generated prefix each time and emits the difference, so a character spread over several
 * byte-level tokens is emitted once complete.
 */
@FunctionalInterface
public interface TokenDecoder {
  /** Text of {@code tokenIds[0..count)}, special tokens skipped. */
  String decode(int[] tokenIds, int count);

  /**
   * The text of one token as log probabilities show it. By default its decoded text (empty for a special token);
   * a tokenizer that can name special tokens shows them. A token holding part of a multi-byte character decodes
   * to U+FFFD.
   */
  default String tokenText(int tokenId) {
    return decode(new int[] {tokenId}, 1);
  }

  /**
   * Every token's decoded bytes (ids 0 to {@code vocabSize - 1}; null for a special token), for structured output's
   * token mask; null when this decoder cannot tell (structured output is then refused). By default null.
   */
  default byte[][] vocabularyBytes(int vocabSize) {
    return null;
  }
}
