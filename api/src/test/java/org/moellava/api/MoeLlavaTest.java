package org.moellava.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.moellava.image.ImageFiles;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.load.BackendKind;
import org.moellava.serve.load.ServingModel;
import org.moellava.serve.load.ServingModels;
import org.moellava.serve.prompt.ChatMessage;
import org.moellava.serve.prompt.ChatTemplate;

/**
 * The facade on a tiny exported package (ONNX Runtime CPU), checked against the serving engine driven by hand the
 * way the CLI does: same prompt ids, pixels, tokens, text and routed experts (greedy).
 */
class MoeLlavaTest {
  private static final String QUESTION = "what is in this image?";

  @TempDir static Path dir;
  static Path pkg;
  static Path image;
  static MoeLlava model;

  @BeforeAll
  static void openTinyModel() {
    pkg = TinyModel.write(dir, 7);
    image = dir.resolve("image.png");
    model = MoeLlava.open(pkg);
  }

  @AfterAll
  static void close() {
    if (model != null) model.close();
  }

  /** The engine's answer, with the prompt rendered by the chat template and the image decoded as the CLI does. */
  private static GenerationResult engineAnswer(List<ChatMessage> messages, Path imageFile, int maxTokens)
      throws Exception {
    try (ServingModel m = ServingModels.open(new ServingModels.Request(pkg, null, BackendKind.ORT, OrtOptions.cpu(),
        false))) {
      float[] pixels = imageFile == null ? null
          : m.imageDecoder(ImageFiles.DEFAULT_MAX_PIXELS, Integer.MAX_VALUE).decode(Files.readAllBytes(imageFile));
      int[] ids = new ChatTemplate(m.tokenizer(), m.backend().info(), m.systemPrompt()).build(messages);
      try (GenerationEngine engine = new GenerationEngine(m.backend(), m.decoder(), new EngineConfig(1, 1),
          EngineObserver.NONE)) {
        return engine.generate(new GenerationRequest("reference", ids, pixels,
            GenerationParams.greedy(maxTokens).toSampling())).get(60, TimeUnit.SECONDS);
      }
    }
  }

  private static void assertSameAnswer(GenerationResult want, Generation got) {
    assertArrayEquals(want.tokenIds(), got.tokenIds(), "token ids");
    assertEquals(want.text(), got.text(), "text");
    assertEquals(want.promptTokens(), got.usage().promptTokens(), "prompt tokens");
    assertEquals(want.completionTokens(), got.usage().completionTokens(), "completion tokens");
    assertEquals(want.finishReason().name(), got.finishReason().name(), "finish reason");
    assertEquals(want.routedExperts().size(), got.routedExperts().size(), "routed experts per token");
    for (int t = 0; t < want.routedExperts().size(); t++) {
      assertArrayEquals(want.routedExperts().get(t), got.routedExperts().get(t), "routed experts of token " + t);
    }
  }

  @Test
  void generateWithAnImageEqualsTheEngine() throws Exception {
    Generation got = model.generate(image, QUESTION, GenerationParams.greedy(12));
    GenerationResult want = engineAnswer(List.of(new ChatMessage("user", QUESTION, true)), image, 12);
    assertSameAnswer(want, got);
    assertTrue(got.tokenIds().length > 3, "the comparison covers several tokens: " + got.tokenIds().length);
    assertEquals(List.of(0, 2), got.moeLayers());
    for (int[][] token : got.routedExperts()) {
      assertEquals(2, token.length, "one row per MoE layer");
      for (int[] layer : token) assertEquals(2, layer.length, "top-2");
    }
    assertTrue(got.tokensPerSecond() > 0);
    assertNotNull(got.timeToFirstToken());
  }

  @Test
  void bytesAndBufferedImagesGiveTheSameAnswerAsTheFile() throws Exception {
    Generation fromFile = model.generate(image, QUESTION, GenerationParams.greedy(8));
    Generation fromBytes = model.generate(Files.readAllBytes(image), QUESTION, GenerationParams.greedy(8));
    BufferedImage buffered = ImageIO.read(image.toFile());
    Generation fromBuffered = model.generate(buffered, QUESTION, GenerationParams.greedy(8));
    assertArrayEquals(fromFile.tokenIds(), fromBytes.tokenIds());
    assertArrayEquals(fromFile.tokenIds(), fromBuffered.tokenIds());
    Generation textOnly = model.generate(QUESTION, GenerationParams.greedy(8));
    assertEquals(fromFile.usage().promptTokens() - model.details().imageTokens(), textOnly.usage().promptTokens());
    GenerationResult want = engineAnswer(List.of(new ChatMessage("user", QUESTION, false)), null, 8);
    assertSameAnswer(want, textOnly);
  }

  @Test
  void streamingDeliversTheSameTokensAsNonStreaming() {
    Generation plain = model.generate(Image.of(image), QUESTION, GenerationParams.greedy(16));
    List<Token> streamed = new ArrayList<>();
    Generation withListener = model.generate(Image.of(image), QUESTION, GenerationParams.greedy(16),
        streamed::add);
    assertArrayEquals(plain.tokenIds(), streamed.stream().mapToInt(Token::id).toArray());
    assertEquals(plain.text(), String.join("", streamed.stream().map(Token::text).toList()));
    for (int t = 0; t < streamed.size(); t++) {
      assertEquals(t, streamed.get(t).index());
      assertArrayEquals(plain.routedExperts().get(t), streamed.get(t).routedExperts(), "token " + t);
    }
    assertArrayEquals(plain.tokenIds(), withListener.tokenIds());
  }

  @Test
  void chatRendersTheConversationWithTheModelsTemplate() throws Exception {
    List<Message> conversation = List.of(Message.user("what colour is the square?", Image.of(image)),
        Message.assistant("red"), Message.user("and the circle?"));
    Generation got = model.chat(conversation, GenerationParams.greedy(6));
    GenerationResult want = engineAnswer(List.of(new ChatMessage("user", "what colour is the square?", true),
        new ChatMessage("assistant", "red", false), new ChatMessage("user", "and the circle?", false)), image, 6);
    assertSameAnswer(want, got);
    Generation withSystem = model.chat(List.of(Message.system("yes or no."), Message.user("is there a circle?")),
        GenerationParams.greedy(6));
    GenerationResult wantSystem = engineAnswer(List.of(new ChatMessage("system", "yes or no.", false),
        new ChatMessage("user", "is there a circle?", false)), null, 6);
    assertSameAnswer(wantSystem, withSystem);
  }

  @Test
  void generateAllBatchesAndKeepsEachAnswer() {
    List<Request> requests = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      requests.add(i % 2 == 0 ? Request.of(Image.of(image), i == 0 ? QUESTION : "describe the image", GenerationParams.greedy(5 + i))
          : Request.of(null, "is there a red square on the left?", GenerationParams.sampled(7, 0.8, 0.9, i)));
    }
    List<Generation> together = model.generateAll(requests);
    assertEquals(requests.size(), together.size());
    for (int i = 0; i < requests.size(); i++) {
      Generation alone = model.submit(requests.get(i), null).await();
      assertArrayEquals(alone.tokenIds(), together.get(i).tokenIds(), "request " + i);
      assertEquals(alone.text(), together.get(i).text(), "request " + i);
    }
  }

  @Test
  void aRepeatedPromptReportsItsCachedTokensAndDeterministicModeCachesNothing() {
    Request request = Request.of(Image.of(image), QUESTION, GenerationParams.greedy(4));
    model.submit(request, null).await();
    Generation again = model.submit(request, null).await();
    int prompt = again.usage().promptTokens();
    assertEquals((prompt - 1) / 16 * 16, again.usage().cachedPromptTokens(), "the prefix cache is on by default");
    try (MoeLlava deterministic = MoeLlava.open(pkg, Options.builder().deterministic(true).threads(1).build())) {
      deterministic.submit(request, null).await();
      Generation second = deterministic.submit(request, null).await();
      assertEquals(0, second.usage().cachedPromptTokens(), "deterministic: no prefix cache");
      assertArrayEquals(again.tokenIds(), second.tokenIds());
    }
  }

  @Test
  void deterministicGenerateAllEqualsEachRequestAloneToTheRoutedExpert() {
    try (MoeLlava deterministic = MoeLlava.open(pkg, Options.builder().deterministic(true).threads(1).build())) {
      List<Request> requests = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        requests.add(Request.of(i % 2 == 0 ? Image.of(image) : null, i == 0 ? QUESTION : "what shape is it?",
            GenerationParams.greedy(4 + i)));
      }
      List<Generation> together = deterministic.generateAll(requests);
      for (int i = 0; i < requests.size(); i++) {
        Generation alone = deterministic.submit(requests.get(i), null).await();
        assertArrayEquals(alone.tokenIds(), together.get(i).tokenIds(), "request " + i);
        for (int t = 0; t < alone.routedExperts().size(); t++) {
          assertTrue(java.util.Arrays.deepEquals(alone.routedExperts().get(t), together.get(i).routedExperts().get(t)),
              "request " + i + " token " + t);
        }
      }
    }
  }

  @Test
  void generateAllWaitsWhenTheQueueIsFull() {
    try (MoeLlava small = MoeLlava.open(pkg, Options.builder().maxBatch(2).maxQueue(1).threads(1).build())) {
      List<Request> requests = new ArrayList<>();
      for (int i = 0; i < 7; i++) requests.add(Request.of(null, "is there a circle?", GenerationParams.greedy(4)));
      List<Generation> results = small.generateAll(requests);
      assertEquals(7, results.size());
      for (Generation g : results) assertArrayEquals(results.get(0).tokenIds(), g.tokenIds());
      assertEquals("onnxruntime-cpu", small.details().backend());
    }
  }

  @Test
  void submitCanBeCancelled() throws Exception {
    CompletableFuture<Void> firstToken = new CompletableFuture<>();
    PendingGeneration pending = model.submit(Request.of(null, "describe the image", GenerationParams.greedy(200)),
        token -> {
          firstToken.complete(null);
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    firstToken.get(30, TimeUnit.SECONDS);
    pending.cancel();
    Generation g = pending.await();
    assertEquals(FinishReason.CANCELLED, g.finishReason());
    assertTrue(g.tokenIds().length < 200, "stopped early: " + g.tokenIds().length);
  }

  @Test
  void errorsAreTypedAndNameNoCommandLineFlag(@TempDir Path tmp) throws Exception {
    InvalidInputException missing = assertThrows(InvalidInputException.class, () -> MoeLlava.open(tmp.resolve("nope")));
    assertTrue(missing.getMessage().contains("model.json"), missing.getMessage());
    Path noTokenizer = tmp.resolve("no-tokenizer");
    Files.createDirectories(noTokenizer);
    try (var files = Files.list(pkg)) {
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().equals("tokenizer.json")) Files.copy(f, noTokenizer.resolve(f.getFileName()));
      }
    }
    InvalidInputException tokenizer = assertThrows(InvalidInputException.class, () -> MoeLlava.open(noTokenizer));
    assertTrue(tokenizer.getMessage().contains("tokenizer.json"), tokenizer.getMessage());
    InvalidInputException checkpoint = assertThrows(InvalidInputException.class,
        () -> MoeLlava.open(pkg, Options.builder().backend(Options.Backend.TENSORFLOW).build()));
    InvalidInputException tfDevice = assertThrows(InvalidInputException.class, () -> MoeLlava.open(pkg,
        Options.builder().backend(Options.Backend.TENSORFLOW).device(Options.Device.CUDA).build()));
    InvalidInputException notAnImage = assertThrows(InvalidInputException.class,
        () -> model.generate(new byte[] {1, 2, 3}, QUESTION, GenerationParams.greedy(2)));
    InvalidInputException tooBig;
    try (MoeLlava strict = MoeLlava.open(pkg, Options.builder().maxImagePixels(100).build())) {
      tooBig = assertThrows(InvalidInputException.class, () -> strict.generate(image, QUESTION, GenerationParams.greedy(2)));
    }
    InvalidInputException twoImages = assertThrows(InvalidInputException.class, () -> model.chat(List.of(
        Message.user("a", Image.of(image)), Message.assistant("b"), Message.user("c", Image.of(image))),
        GenerationParams.greedy(2)));
    InvalidInputException tooLong = assertThrows(InvalidInputException.class,
        () -> model.generate(QUESTION, GenerationParams.greedy(1000)));
    InvalidInputException lastNotUser = assertThrows(InvalidInputException.class,
        () -> model.chat(List.of(Message.user("a"), Message.assistant("b")), GenerationParams.greedy(2)));
    for (MoeLlavaException e : List.of(missing, tokenizer, checkpoint, tfDevice, notAnImage, tooBig, twoImages,
        tooLong, lastNotUser)) {
      assertFalse(e.getMessage().contains("--"), "a library message names a CLI flag: " + e.getMessage());
      assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }
    assertThrows(InvalidInputException.class, () -> GenerationParams.greedy(0));
    assertThrows(InvalidInputException.class, () -> Options.builder().maxBatch(0).build());
    assertThrows(InvalidInputException.class, () -> new Message(Message.Role.ASSISTANT, "x", Image.of(image)));
  }

  @Test
  void closeStopsTheEngineAndRefusesWork() {
    MoeLlava m = MoeLlava.open(pkg);
    assertTrue(schedulerThreads() >= 1);
    int before = schedulerThreads();
    m.close();
    m.close(); // idempotent
    assertEquals(before - 1, schedulerThreads(), "the engine thread ended");
    assertThrows(IllegalStateException.class, () -> m.generate(QUESTION, GenerationParams.greedy(2)));
  }

  private static int schedulerThreads() {
    return (int) Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("moellava-scheduler") && t.isAlive()).count();
  }
}
