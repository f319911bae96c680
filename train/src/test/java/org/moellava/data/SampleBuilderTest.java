package org.moellava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.error.InvalidInputException;
import org.moellava.text.Tokenizer;

class SampleBuilderTest {
  private static final int P = 4;
  private static final int IMG = SynthVocabulary.IMAGE_ID;
  private static final int EOS = SynthVocabulary.EOS_ID;
  private static final int X = TokenizedSample.IGNORE;
  @TempDir static Path dir;
  private static Tokenizer tok;

  @BeforeAll
  static void load() {
    Path file = dir.resolve("tokenizer.json");
    SynthVocabulary.writeTokenizer(file, 128);
    tok = Tokenizer.load(file);
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  /** Ids of whitespace-separated words, looked up one by one in the vocabulary. */
  private static List<Integer> words(String text) {
    List<Integer> ids = new ArrayList<>();
    for (String w : text.split(" ")) ids.add(tok.tokenId(w));
    return ids;
  }

  private static int[] toArray(List<Integer> ids) {
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  private static final LlavaEntry TWO_TURNS = new LlavaEntry("e1", "images/e1.png", List.of(
      Turn.human("is there a ring?\n<image>"), Turn.gpt("yes"),
      Turn.human("what colour is the ring?"), Turn.gpt("red")));

  @Test
  void chatTemplateExpandsTheImageAndLabelsOnlyAnswers() {
    SampleBuilder builder = new SampleBuilder(tok, PromptTemplate.CHAT, "a chat.", IMG, P, EOS, 100);
    TokenizedSample s = builder.build(TWO_TURNS);
    List<Integer> ids = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int id : words("a chat . USER :")) { ids.add(id); labels.add(X); }
    for (int i = 0; i < P; i++) { ids.add(IMG); labels.add(X); }
    for (int id : words("is there a ring ? ASSISTANT :")) { ids.add(id); labels.add(X); }
    ids.add(tok.tokenId("yes")); labels.add(tok.tokenId("yes"));
    ids.add(EOS); labels.add(EOS);
    for (int id : words("USER : what colour is the ring ? ASSISTANT :")) { ids.add(id); labels.add(X); }
    ids.add(tok.tokenId("red")); labels.add(tok.tokenId("red"));
    ids.add(EOS); labels.add(EOS);
    assertArrayEquals(toArray(ids), s.inputIds());
    assertArrayEquals(toArray(labels), s.labels());
    assertTrue(s.hasImage());
    assertFalse(s.truncated());
    assertEquals(4, s.labelledTokens());
  }

  @Test
  void plainTemplateIsImageThenCaptionThenEos() {
    LlavaEntry caption = new LlavaEntry("c1", "images/c1.png", List.of(
        Turn.human("<image>"), Turn.gpt("a small red ring on the left.")));
    TokenizedSample s = new SampleBuilder(tok, PromptTemplate.PLAIN, "", IMG, P, EOS, 100).build(caption);
    List<Integer> expected = new ArrayList<>(List.of(IMG, IMG, IMG, IMG));
    expected.addAll(words("a small red ring on the left ."));
    expected.add(EOS); // the synthetic vocabulary has no newline token
    assertArrayEquals(toArray(expected), s.inputIds());
    for (int i = 0; i < P; i++) assertEquals(X, s.labels()[i]);
    for (int i = P; i < expected.size(); i++) assertEquals(expected.get(i), s.labels()[i]);
  }

  @Test
  void textOnlyChatHasNoImageTokens() {
    LlavaEntry text = new LlavaEntry("t", null, List.of(Turn.human("what comes after two?"), Turn.gpt("three")));
    TokenizedSample s = new SampleBuilder(tok, PromptTemplate.CHAT, "", IMG, P, EOS, 100).build(text);
    List<Integer> expected = words("USER : what comes after two ? ASSISTANT : three");
    expected.add(EOS);
    assertArrayEquals(toArray(expected), s.inputIds());
    assertFalse(s.hasImage());
  }

  @Test
  void truncationKeepsThePrefixAndRejectsACutImage() {
    SampleBuilder builder = new SampleBuilder(tok, PromptTemplate.CHAT, "a chat.", IMG, P, EOS, 16);
    TokenizedSample s = builder.build(TWO_TURNS);
    TokenizedSample full = new SampleBuilder(tok, PromptTemplate.CHAT, "a chat.", IMG, P, EOS, 100).build(TWO_TURNS);
    assertEquals(16, s.length());
    assertTrue(s.truncated());
    assertArrayEquals(java.util.Arrays.copyOf(full.inputIds(), 16), s.inputIds());
    assertArrayEquals(java.util.Arrays.copyOf(full.labels(), 16), s.labels());
    SampleBuilder tooShort = new SampleBuilder(tok, PromptTemplate.CHAT, "a chat.", IMG, P, EOS, 7);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> tooShort.build(TWO_TURNS));
    assertTrue(e.getMessage().contains("'e1'") && e.getMessage().contains("maximum length 7"), e.getMessage());
  }
}
