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
}
