package org.moellava.serve.prompt;

/**
 * Text to token ids, without adding special tokens; the real tokenizer ({@code tokenizer.json}) plugs in
 * here. {@link ChatTemplate} inserts the image and end-of-sequence tokens itself and calls this only on the
 * text between them.
 */
@FunctionalInterface
public interface PromptTokenizer {
  /** Token ids of {@code text}. */
  int[] encode(String text);
}
