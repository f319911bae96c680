package org.moellava.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.error.InvalidInputException;

/**
 * tiktoken ranks files and GPT-2 vocab/merges converted to tokenizer.json, run by the project's {@link Tokenizer}:
 * a hand-worked tiktoken example, and the ids the real tiktoken / transformers give for the fixtures' samples
 * ({@code tokenizer_expected.json} of {@code tests/fixtures/moellava-*}, written by the fixtures' generator).
 */
class TokenizerConversionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path FIXTURES = Path.of(System.getProperty("moellava.fixtures", "../tests/fixtures"));

  @TempDir Path dir;

  private Tokenizer load(byte[] json) throws IOException {
    Path file = dir.resolve("tokenizer-" + System.nanoTime() + ".json");
    Files.write(file, json);
    return Tokenizer.load(file);
  }

  /** Ranks: byte b has rank b; then "he" 256, "ll" 257, "hell" 258, "hello" 259. */
  private static byte[] tinyRanks() {
    StringBuilder sb = new StringBuilder();
    for (int b = 0; b < 256; b++) sb.append(Base64.getEncoder().encodeToString(new byte[] {(byte) b})).append(' ').append(b).append('\n');
    String[] merged = {"he", "ll", "hell", "hello"};
    for (int i = 0; i < merged.length; i++) {
      sb.append(Base64.getEncoder().encodeToString(merged[i].getBytes(StandardCharsets.US_ASCII))).append(' ')
          .append(256 + i).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void tiktokenRulesByHand() throws IOException {
    try (Tokenizer t = load(TiktokenConverter.convert(tinyRanks(), "tiny.tiktoken", TiktokenConverter.STABLELM_2))) {
      // a whole pre-token that is a token is that token
      assertArrayEquals(new int[] {259}, t.encode("hello"));
      // otherwise BPE by merged rank: h e l l o s -> he l l o s -> he ll o s -> hell o s -> hello s
      assertArrayEquals(new int[] {259, 's'}, t.encode("hellos"));
      // the pattern keeps a leading space with the letters: " hello" is one pre-token, not a token, so BPE merges
      // it up to " " + "hello"
      assertArrayEquals(new int[] {' ', 259}, t.encode(" hello"));
      // special tokens are matched first, at their family ids
      assertArrayEquals(new int[] {256, 100257, 257}, t.encode("he<|endoftext|>ll"));
      // NFC first: e + combining acute (CC 81) becomes U+00E9 (C3 A9)
      assertArrayEquals(new int[] {0xC3, 0xA9}, t.encode("e\u0301"));
    }
  }

  @Test
  void malformedRanksNameTheFileAndLine() {
    byte[] bad = (new String(tinyRanks(), StandardCharsets.US_ASCII) + "not-a-line\n").getBytes(StandardCharsets.US_ASCII);
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TiktokenConverter.convert(bad, "x.tiktoken", TiktokenConverter.QWEN_1));
    assertTrue(e.getMessage().startsWith("x.tiktoken: line 261:"), e.getMessage());
    byte[] gap = "YQ== 0\nYg== 2\n".getBytes(StandardCharsets.US_ASCII);
    e = assertThrows(InvalidInputException.class, () -> TiktokenConverter.convert(gap, "y.tiktoken",
        TiktokenConverter.QWEN_1));
    assertTrue(e.getMessage().contains("no rank 1"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"stablelm", "qwen"})
  void tiktokenFixturesGiveTheRealTiktokensIds(String family) throws IOException {
    Path fixture = fixture(family);
    JsonNode expected = JSON.readTree(fixture.resolve("tokenizer_expected.json").toFile());
    TiktokenConverter.Family f = family.equals("stablelm") ? TiktokenConverter.STABLELM_2 : TiktokenConverter.QWEN_1;
    assertEquals(expected.get("pattern").asText(), f.pattern());
    JsonNode specials = expected.get("special_tokens");
    assertEquals(specials.size(), f.specials().size());
    specials.fields().forEachRemaining(e -> assertEquals(e.getValue().asInt(), f.specials().get(e.getKey()), e.getKey()));
    String file = expected.get("tokenizer_file").asText();
    try (Tokenizer t = load(TiktokenConverter.convert(Files.readAllBytes(fixture.resolve(file)), file, f))) {
      assertSamples(t, expected, family);
    }
  }

  @Test
  void phiVocabAndMergesGiveTransformersIds() throws IOException {
    Path fixture = fixture("phi");
    JsonNode expected = JSON.readTree(fixture.resolve("tokenizer_expected.json").toFile());
    byte[] json = Gpt2BpeConverter.convert(Files.readAllBytes(fixture.resolve("vocab.json")),
        Files.readAllBytes(fixture.resolve("merges.txt")), Files.readAllBytes(fixture.resolve("added_tokens.json")),
        List.of("<|endoftext|>"));
    try (Tokenizer t = load(json)) {
      assertSamples(t, expected, "phi");
    }
  }

  private static void assertSamples(Tokenizer t, JsonNode expected, String family) {
    int compared = 0;
    for (JsonNode sample : expected.get("samples")) {
      String text = sample.get("text").asText();
      int[] ids = new int[sample.get("ids").size()];
      for (int i = 0; i < ids.length; i++) ids[i] = sample.get("ids").get(i).asInt();
      assertArrayEquals(ids, t.encode(text), family + ": " + text);
      compared++;
    }
    assertEquals(14, compared);
  }

  private static Path fixture(String family) {
    Path f = FIXTURES.resolve("moellava-" + family);
    assertTrue(Files.isDirectory(f), "fixture " + f + " not found (tests/fixtures, made by tools/fixtures/moellava/generate.py)");
    return f;
  }
}
