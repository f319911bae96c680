package org.moellava.eval.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.data.LlavaEntry;
import org.moellava.data.PromptTemplate;
import org.moellava.data.SampleBuilder;
import org.moellava.data.TokenizedSample;
import org.moellava.data.Turn;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.text.Tokenizer;

/** Evaluation prompts are the training sample of the same conversation, cut before the answer. */
class EvalPromptsTest {
  @TempDir static Path dir;
  private static Tokenizer tok;
  private static ModelConfig config;

  @BeforeAll
  static void load() {
    Path file = dir.resolve("tokenizer.json");
    SynthVocabulary.writeTokenizer(file, 128);
    tok = Tokenizer.load(file);
    config = TinyModels.config();
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  private static List<Integer> words(String text) {
    List<Integer> ids = new ArrayList<>();
    for (String w : text.split(" ")) ids.add(tok.tokenId(w));
    return ids;
  }

  @Test
  void imageQuestionPromptIsTheTrainingSampleBeforeItsAnswer() {
    String q = "what colour is the circle?";
    int[] prompt = new EvalPrompts(config, tok).question(q, true);
    // independent expectation: system prompt, USER:, P image tokens, the question, ASSISTANT:
    List<Integer> expected = new ArrayList<>(words("a chat about shapes and colours . USER :"));
    for (int i = 0; i < config.visionConfig().numPatches(); i++) expected.add(config.imageTokenIndex());
    expected.addAll(words("what colour is the circle ? ASSISTANT :"));
    assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), prompt);
    // and the same ids as SampleBuilder's training sample of that conversation, up to the first learned token
    SampleBuilder builder = SampleBuilder.forConfig(config, tok, PromptTemplate.CHAT, config.systemPrompt());
    TokenizedSample full = builder.build(new LlavaEntry("x", "x.png",
        List.of(Turn.human(Turn.IMAGE_PLACEHOLDER + "\n" + q), Turn.gpt("red"))));
    assertArrayEquals(Arrays.copyOf(full.inputIds(), prompt.length), prompt);
    assertEquals(tok.tokenId("red"), full.labels()[prompt.length]);
    assertEquals(TokenizedSample.IGNORE, full.labels()[prompt.length - 1]);
  }

  @Test
  void textOnlyPromptHasNoImageAndPlainCaptionPromptIsTheImageBlock() {
    EvalPrompts prompts = new EvalPrompts(config, tok);
    int[] text = prompts.question("what comes after two?", false);
    List<Integer> expected = new ArrayList<>(words("a chat about shapes and colours . USER : what comes after two ? ASSISTANT :"));
    assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), text);
    int[] caption = prompts.plainCaption();
    int[] block = new int[config.visionConfig().numPatches()];
    Arrays.fill(block, config.imageTokenIndex());
    assertArrayEquals(block, caption);
    assertNotEquals(0, caption.length);
  }

  @Test
  void captionPromptIsTheChatDescriptionRequest() {
    EvalPrompts prompts = new EvalPrompts(config, tok);
    int[] caption = prompts.caption();
    List<Integer> expected = new ArrayList<>(words("a chat about shapes and colours . USER :"));
    for (int i = 0; i < config.visionConfig().numPatches(); i++) expected.add(config.imageTokenIndex());
    expected.addAll(words("what is in this image ? ASSISTANT :"));
    assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), caption);
  }
}
