package org.moellava.serve.fake;

import org.moellava.serve.engine.TokenDecoder;
import org.moellava.serve.prompt.PromptTokenizer;

/**
 * Test double of the tokenizer: one token per printable ASCII character (id = char - 29, so ' ' is 3 and
 * '~' is 97), '\n' is 98, anything else is '?'. Ids below 3 are special (pad 0, eos 1, image 2) and decode to
 * nothing.
 */
public final class FakeTokenizer implements PromptTokenizer, TokenDecoder {
  public static final int NEWLINE = 98;

  public static int idOf(char c) {
    if (c == '\n') {
      return NEWLINE;
    }
    return c >= 32 && c <= 126 ? c - 29 : '?' - 29;
  }

  @Override
  public int[] encode(String text) {
    int[] ids = new int[text.length()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = idOf(text.charAt(i));
    }
    return ids;
  }

  /** One byte per token (its character); ids below 3 have none. */
  @Override
  public byte[][] vocabularyBytes(int vocabSize) {
    byte[][] bytes = new byte[vocabSize][];
    for (int id = 3; id < vocabSize && id <= NEWLINE; id++) {
      bytes[id] = new byte[] {(byte) (id == NEWLINE ? '\n' : id + 29)};
    }
    return bytes;
  }

  @Override
  public String decode(int[] tokenIds, int count) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < count; i++) {
      int id = tokenIds[i];
      if (id == NEWLINE) {
        text.append('\n');
      } else if (id >= 3) {
        text.append((char) (id + 29));
      }
    }
    return text.toString();
  }
}
