package org.moellava.serve.adapters;

import java.util.Arrays;
import org.moellava.serve.engine.TokenDecoder;
import org.moellava.serve.prompt.PromptTokenizer;
import org.moellava.serve.structured.TokenizerJsonBytes;
import org.moellava.text.Tokenizer;

/**
 * The project's {@link Tokenizer} ({@code tokenizer.json} of the checkpoint or package) as the server's
 * {@link PromptTokenizer} and {@link TokenDecoder}: encoding adds no special tokens (the chat template places
 * them), decoding skips them. Closing it closes the tokenizer.
 */
public final class TokenizerAdapter implements PromptTokenizer, TokenDecoder, AutoCloseable {
  private final Tokenizer tokenizer;

  public TokenizerAdapter(Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  @Override
  public int[] encode(String text) {
    return tokenizer.encode(text);
  }

  @Override
  public String decode(int[] tokenIds, int count) {
    return tokenizer.decode(count == tokenIds.length ? tokenIds : Arrays.copyOf(tokenIds, count));
  }

  /** One token's text, special tokens by name (as {@code </s>}). */
  @Override
  public String tokenText(int tokenId) {
    return tokenizer.decode(new int[] {tokenId}, false);
  }

  /** From {@code tokenizer.json}: byte-level BPE and SentencePiece decoders ({@link TokenizerJsonBytes}). */
  @Override
  public byte[][] vocabularyBytes(int vocabSize) {
    return TokenizerJsonBytes.read(tokenizer.file(), vocabSize);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
