package org.moellava.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;

class TokenizerTest {
  private static final List<String> SPECIAL = List.of("<pad>", "<eos>", "<image>", "<unk>");
  private static final List<String> WORDS = List.of("is", "there", "a", "red", "circle", "?", ".", ",", "and");

  @TempDir Path dir;

  @Test
  void wordLevelEncodesWithExpectedIdsAndDecodesBack() {
    Path file = dir.resolve("tokenizer.json");
    WordLevelTokenizerJson.write(file, SPECIAL, "<unk>", WORDS, 128);
    try (Tokenizer tok = Tokenizer.load(file)) {
      // ids: specials 0..3, then words from 4 in order.
      assertArrayEquals(new int[] {4, 5, 6, 7, 8, 9}, tok.encode("is there a red circle?"));
      assertEquals("is there a red circle?", tok.decode(new int[] {4, 5, 6, 7, 8, 9}));
      assertEquals("a red circle, and a circle.", tok.decode(tok.encode("a red circle, and a circle.")));
      assertArrayEquals(new int[] {6, 3}, tok.encode("a blob"));
      assertEquals(2, tok.tokenId("<image>"));
      assertEquals(13, tok.vocabSize());
      assertEquals("a circle", tok.decode(new int[] {6, 1, 8, 0}));
    }
  }

  @Test
  void longTextIsNeverTruncated() {
    Path file = dir.resolve("tokenizer.json");
    WordLevelTokenizerJson.write(file, SPECIAL, "<unk>", WORDS, 128);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 5000; i++) text.append(i % 2 == 0 ? "red " : "circle ");
    text.append("?");
    try (Tokenizer tok = Tokenizer.load(file)) {
      int[] ids = tok.encode(text.toString());
      assertEquals(5001, ids.length, "every word is one token: the tokenizer must not truncate");
      assertEquals(9, ids[5000], "the last token '?' must survive");
    }
  }

  @Test
  void vocabularyLargerThanVocabSizeFailsLoudly() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> WordLevelTokenizerJson.build(SPECIAL, "<unk>", WORDS, 10));
    assertTrue(e.getMessage().contains("13") && e.getMessage().contains("10"), e.getMessage());
  }

  @Test
  void missingFileIsInvalidInput() {
    assertThrows(InvalidInputException.class, () -> Tokenizer.load(dir.resolve("nope.json")));
  }
}
