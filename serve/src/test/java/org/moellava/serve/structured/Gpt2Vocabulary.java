package org.moellava.serve.structured;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

/** GPT-2's real byte-level BPE vocabulary (tiktoken's r50k_base, as jtokkit ships it): ids 0..50255, eos 50256. */
final class Gpt2Vocabulary {
  static final int SIZE = 50257;
  static final int EOS = 50256;

  private Gpt2Vocabulary() {}

  /** Each id's bytes; the end-of-text id has none. */
  static byte[][] bytes() {
    Encoding encoding = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    byte[][] bytes = new byte[SIZE][];
    for (int id = 0; id < EOS; id++) {
      IntArrayList one = new IntArrayList(1);
      one.add(id);
      bytes[id] = encoding.decodeBytes(one);
    }
    return bytes;
  }
}
