package org.moellava.serve.structured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.text.Gpt2BpeConverter;
import org.moellava.text.Tokenizer;

/**
 * Token bytes read from {@code tokenizer.json}, checked against the Hugging Face tokenizers library's own decoding
 * (through DJL) of random id sequences: the Phi-2 fixture's byte-level BPE vocabulary, converted as the importer does.
 */
class TokenizerJsonBytesTest {
  private static final Path PHI = Path.of("..", "tests", "fixtures", "moellava-phi");

  @Test
  void byteLevelBytesConcatenateToWhatTheTokenizerDecodes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tokenizer.json");
    Files.write(file, Gpt2BpeConverter.convert(Files.readAllBytes(PHI.resolve("vocab.json")),
        Files.readAllBytes(PHI.resolve("merges.txt")), Files.readAllBytes(PHI.resolve("added_tokens.json")),
        List.of("<|endoftext|>")));
    try (Tokenizer tokenizer = Tokenizer.load(file)) {
      byte[][] bytes = TokenizerJsonBytes.read(file, tokenizer.vocabSize());
      assertNull(bytes[tokenizer.tokenId("<|endoftext|>")], "a special token has no bytes");
      assertArrayEquals(new byte[] {'!'}, bytes[tokenizer.tokenId("!")]);
      assertArrayEquals(" the".getBytes(StandardCharsets.UTF_8), bytes[tokenizer.tokenId("\u0120the")]);
      SplittableRandom random = new SplittableRandom(3);
      int compared = 0;
      for (int round = 0; round < 400; round++) {
        int[] ids = new int[1 + random.nextInt(6)];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < ids.length; i++) {
          do {
            ids[i] = random.nextInt(tokenizer.vocabSize());
          } while (bytes[ids[i]] == null);
          out.write(bytes[ids[i]]);
        }
        String text = strictUtf8(out.toByteArray());
        if (text != null) {
          assertEquals(tokenizer.decode(ids), text, "ids " + java.util.Arrays.toString(ids));
          compared++;
        }
      }
      assertTrue(compared > 80, "compared " + compared); // random bytes are often not UTF-8
    }
  }

  @Test
  void sentencePieceAndUnknownDecoders() throws Exception {
    ObjectMapper json = new ObjectMapper();
    byte[][] sp = TokenizerJsonBytes.of(json.readTree("{\"model\":{\"vocab\":{\"<unk>\":0,\"\u2581the\":1,"
        + "\"<0x7B>\":2,\"é\":3}},\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\",\"special\":true}],"
        + "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"\u2581\"},"
        + "\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"}]}}"), 4);
    assertNull(sp[0]);
    assertArrayEquals(" the".getBytes(StandardCharsets.UTF_8), sp[1]);
    assertArrayEquals(new byte[] {'{'}, sp[2]);
    assertArrayEquals("é".getBytes(StandardCharsets.UTF_8), sp[3]);
    assertNull(TokenizerJsonBytes.of(json.readTree("{\"model\":{\"vocab\":{\"a\":0}},\"decoder\":{\"type\":"
        + "\"WordPiece\"}}"), 1), "WordPiece joins tokens with spaces: no per-token bytes");
  }

  private static String strictUtf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
