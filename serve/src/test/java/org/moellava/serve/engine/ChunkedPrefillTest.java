package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.engine.EngineFixtures.list;
import static org.moellava.serve.engine.EngineFixtures.prompt;
import static org.moellava.serve.engine.EngineFixtures.referenceGreedy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.fake.FakeBackend;

/** Chunked prefill: where chunks end, answers equal to a whole prefill, and decode steps between the chunks. */
@Timeout(60)
class ChunkedPrefillTest {
  private static final int IMG = FakeBackend.IMAGE;

  /** Records each decoder call: "P{batch}" for prompt work, "D{batch}" for a decode step. */
  private static final class Calls implements EngineObserver {
    final List<String> calls = new ArrayList<>();
    final List<Integer> promptTokens = new ArrayList<>();

    @Override
    public synchronized void decoderCall(int batchSize, boolean prefill) {
      calls.add((prefill ? "P" : "D") + batchSize);
    }

    @Override
    public synchronized void promptTokens(int count) {
      promptTokens.add(count);
    }
  }

  private static SamplingParams greedy(int tokens) {
    return new SamplingParams(0, 1, 0, 1, tokens, List.of(), 0, 0, Map.of(), 3);
  }

  private static int[] longPrompt(int length, int seed) {
    int[] ids = new int[length];
    for (int i = 0; i < length; i++) {
      ids[i] = 3 + (seed * 13 + i * 7) % 90;
    }
    return ids;
  }

  @Test
  void chunksEndAtTheChunkSizeButNeverInsideTheImage() {
    int[] text = new int[100];
    assertEquals(32, Scheduler.chunkEnd(text, 0, 32, IMG));
    assertEquals(96, Scheduler.chunkEnd(text, 64, 32, IMG));
    assertEquals(100, Scheduler.chunkEnd(text, 70, 32, IMG), "the rest fits: the last chunk");
    int[] image = new int[100];
    Arrays.fill(image, 20, 60, IMG); // 40 image tokens at 20..59
    assertEquals(20, Scheduler.chunkEnd(image, 0, 32, IMG), "stops before the image");
    assertEquals(60, Scheduler.chunkEnd(image, 20, 32, IMG), "takes the whole image, larger than a chunk");
    assertEquals(92, Scheduler.chunkEnd(image, 60, 32, IMG));
    assertEquals(16, Scheduler.chunkEnd(image, 0, 16, IMG), "before the image: a normal chunk");
  }

  @Test
  void aChunkedPromptAnswersAsAWholePrefill() throws Exception {
    int[] prompt = longPrompt(150, 1);
    FakeBackend whole = new FakeBackend();
    FakeBackend chunked = new FakeBackend();
    Calls calls = new Calls();
    GenerationResult expected;
    GenerationResult actual;
    try (GenerationEngine engine = new GenerationEngine(whole, EngineFixtures.TOKENIZER, new EngineConfig(2, 4),
        EngineObserver.NONE)) {
      expected = engine.generate(new GenerationRequest("w", prompt, null, greedy(10))).get(20, TimeUnit.SECONDS);
    }
    try (GenerationEngine engine = new GenerationEngine(chunked, EngineFixtures.TOKENIZER,
        new EngineConfig(2, 4, 0, 32), calls)) {
      actual = engine.generate(new GenerationRequest("c", prompt, null, greedy(10))).get(20, TimeUnit.SECONDS);
    }
    assertEquals(referenceGreedy(new FakeBackend(), prompt, 10), list(expected.tokenIds()));
    assertEquals(list(expected.tokenIds()), list(actual.tokenIds()));
    for (int i = 0; i < expected.logprobs().size(); i++) {
      assertEquals(expected.logprobs().get(i).logprob(), actual.logprobs().get(i).logprob(), 0.0, "token " + i);
      assertEquals(Arrays.toString(expected.logprobs().get(i).topLogprobs()),
          Arrays.toString(actual.logprobs().get(i).topLogprobs()), "token " + i);
    }
    assertEquals(List.of(32, 32, 32, 32, 22), calls.promptTokens, "150 positions in chunks of 32");
  }

  @Test
  void anImageInsideALongPromptIsComputedWholeAndAnswersAsAWholePrefill() throws Exception {
    int[] prompt = longPrompt(120, 2);
    Arrays.fill(prompt, 30, 30 + FakeBackend.P, IMG); // the image's 4 tokens at 30..33 straddle the chunk end 32
    float[] pixels = new float[3 * FakeBackend.IMAGE_SIZE * FakeBackend.IMAGE_SIZE];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) Math.cos(0.11 * i);
    }
    Calls calls = new Calls();
    GenerationResult expected;
    GenerationResult actual;
    try (GenerationEngine engine = new GenerationEngine(new FakeBackend(), EngineFixtures.TOKENIZER,
        new EngineConfig(2, 4), EngineObserver.NONE)) {
      expected = engine.generate(new GenerationRequest("w", prompt, pixels, greedy(8))).get(20, TimeUnit.SECONDS);
    }
    try (GenerationEngine engine = new GenerationEngine(new FakeBackend(), EngineFixtures.TOKENIZER,
        new EngineConfig(2, 4, 0, 32), calls)) {
      actual = engine.generate(new GenerationRequest("c", prompt, pixels, greedy(8))).get(20, TimeUnit.SECONDS);
    }
    assertEquals(list(expected.tokenIds()), list(actual.tokenIds()));
    for (int i = 0; i < expected.logprobs().size(); i++) {
      assertEquals(expected.logprobs().get(i).logprob(), actual.logprobs().get(i).logprob(), 0.0, "token " + i);
    }
    assertEquals(List.of(30, 32, 32, 26), calls.promptTokens, "stops before the image, then takes it whole");
  }

  @Test
  void runningStreamsDecodeBetweenTheChunksOfALongArrival() throws Exception {
    FakeBackend backend = new FakeBackend(512, false);
    Calls calls = new Calls();
    try (GenerationEngine engine = new GenerationEngine(backend, EngineFixtures.TOKENIZER,
        new EngineConfig(4, 8, 0, 16), calls)) {
      CountDownLatch streaming = new CountDownLatch(3);
      CompletableFuture<GenerationResult> stream = engine.generate(
          // long enough to outlast the arrival's chunks even when this thread is descheduled for many steps
          new GenerationRequest("s", prompt("hi"), null, greedy(400)), token -> streaming.countDown());
      assertTrue(streaming.await(10, TimeUnit.SECONDS));
      int[] arrival = longPrompt(200, 3);
      GenerationResult long1 = engine.generate(new GenerationRequest("l", arrival, null, greedy(4)))
          .get(20, TimeUnit.SECONDS);
      stream.get(20, TimeUnit.SECONDS);
      assertEquals(referenceGreedy(new FakeBackend(512, false), arrival, 4), list(long1.tokenIds()));
      List<String> seen;
      synchronized (calls) {
        seen = new ArrayList<>(calls.calls);
      }
      // while the stream runs, never two prompt calls in a row: each chunk is followed by a decode step
      int firstChunk = seen.indexOf("D1"); // the stream decodes; the arrival's prompt calls come after
      while (firstChunk < seen.size() && !seen.get(firstChunk).startsWith("P")) {
        firstChunk++;
      }
      int chunks = 0;
      int arrivalTokens = 0;
      for (int i = firstChunk; i < seen.size() && arrivalTokens < arrival.length; i++) {
        if (seen.get(i).startsWith("P")) {
          arrivalTokens += calls.promptTokens.get(chunks + 1); // [0] is the stream's own prompt
          assertTrue(calls.promptTokens.get(chunks + 1) <= 16, "chunks of at most 16: " + calls.promptTokens);
          chunks++;
          assertTrue(i + 1 < seen.size() && seen.get(i + 1).startsWith("D"), "call " + i + " of " + seen);
        }
      }
      assertEquals(arrival.length, arrivalTokens, "the arrival's chunks cover it: " + calls.promptTokens);
      assertTrue(chunks >= 13, "200 positions in chunks of at most 16: " + chunks);
    }
  }
}
