package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.engine.EngineFixtures.list;
import static org.moellava.serve.engine.EngineFixtures.prompt;
import static org.moellava.serve.engine.EngineFixtures.referenceGreedy;
import static org.moellava.serve.engine.EngineFixtures.request;
import static org.moellava.serve.engine.EngineFixtures.sampled;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.error.InvalidInputException;
import org.moellava.serve.fake.FakeBackend;

@Timeout(30)
class GenerationEngineTest {

  private static GenerationEngine engine(FakeBackend backend, int maxBatch, int maxQueue) {
    return new GenerationEngine(backend, EngineFixtures.TOKENIZER, new EngineConfig(maxBatch, maxQueue),
        EngineObserver.NONE);
  }

  private static GenerationResult alone(FakeBackend backend, GenerationRequest request) throws Exception {
    try (GenerationEngine engine = engine(backend, 1, 4)) {
      return engine.generate(request).get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void greedyWithKvCacheMatchesFullRecomputation() throws Exception {
    for (boolean lastOnly : new boolean[] {false, true}) {
      FakeBackend backend = new FakeBackend(256, lastOnly);
      int[] prompt = prompt("Hello there, what is this?");
      GenerationResult result = alone(backend, new GenerationRequest("a", prompt, null, SamplingParams.greedy(20)));
      assertEquals(referenceGreedy(backend, prompt, 20), list(result.tokenIds()), "lastPositionOnly=" + lastOnly);
      assertEquals(FinishReason.LENGTH, result.finishReason());
      assertEquals(20, result.completionTokens());
      assertEquals(EngineFixtures.TOKENIZER.decode(result.tokenIds(), 20), result.text());
    }
  }

  @Test
  void concurrentRequestsProduceTheSameTokensAsAlone() throws Exception {
    FakeBackend backend = new FakeBackend().decodeDelayMillis(1);
    List<GenerationRequest> requests = new ArrayList<>();
    String[] prompts = {"a", "What is in the picture?", "Tell me more about the red square, please.", "xyz", "Q: 2+2",
        "A much longer prompt that makes the past lengths of the batch differ a lot from each other"};
    for (int i = 0; i < prompts.length; i++) {
      SamplingParams sampling = i % 2 == 0 ? SamplingParams.greedy(12 + i) : sampled(100 + i, 15);
      requests.add(request("r" + i, prompts[i], sampling));
    }
    List<GenerationResult> expected = new ArrayList<>();
    for (GenerationRequest r : requests) {
      expected.add(alone(backend, r));
    }
    backend.decodeBatchSizes().clear();
    List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
    try (GenerationEngine engine = engine(backend, 4, 16)) {
      for (GenerationRequest r : requests) {
        futures.add(engine.generate(r));
      }
      for (int i = 0; i < requests.size(); i++) {
        GenerationResult got = futures.get(i).get(10, TimeUnit.SECONDS);
        assertArrayEquals(expected.get(i).tokenIds(), got.tokenIds(), "request " + i);
        assertEquals(expected.get(i).text(), got.text());
        for (int t = 0; t < got.routedExperts().size(); t++) {
          assertArrayEquals(expected.get(i).routedExperts().get(t), got.routedExperts().get(t));
        }
      }
    }
    assertTrue(Collections.max(backend.decodeBatchSizes()) > 1, "requests were never batched");
    assertTrue(Collections.max(backend.decodeBatchSizes()) <= 4, "batch exceeded maxBatch");
  }

  /**
   * Requests that wait together are prefilled in one call: prompts of different lengths left-padded, images on
   * some rows only. Each gets the tokens and experts it gets alone.
   */
  @Test
  void queuedRequestsArePrefilledTogetherWithTheSameResultsAsAlone() throws Exception {
    FakeBackend backend = new FakeBackend();
    float[] pixels = new float[3 * FakeBackend.IMAGE_SIZE * FakeBackend.IMAGE_SIZE];
    for (int i = 0; i < pixels.length; i++) pixels[i] = (float) Math.sin(0.37 * i);
    int[] withImage = withImageTokens(prompt("What is in the picture?"));
    List<GenerationRequest> requests = List.of(
        new GenerationRequest("image", withImage, pixels, SamplingParams.greedy(9)),
        request("short", "Hi", SamplingParams.greedy(7)),
        new GenerationRequest("image-sampled", withImageTokens(prompt("And colours?")), pixels, sampled(3, 8)),
        request("long", "A much longer prompt than the others, so that most rows are padded", sampled(11, 6)));
    List<GenerationResult> expected = new ArrayList<>();
    for (GenerationRequest r : requests) expected.add(alone(backend, r));
    Semaphore gate = new Semaphore(0);
    backend.gate(gate).prefillBatchSizes().clear();
    try (GenerationEngine engine = engine(backend, 8, 16)) {
      CompletableFuture<GenerationResult> blocker =
          engine.generate(request("blocker", "wait", SamplingParams.greedy(1)));
      while (backend.waitingAtGate() == 0) Thread.sleep(1); // the blocker's prefill holds the scheduler
      List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
      for (GenerationRequest r : requests) futures.add(engine.generate(r));
      gate.release(1_000_000);
      blocker.get(10, TimeUnit.SECONDS);
      for (int i = 0; i < requests.size(); i++) {
        GenerationResult got = futures.get(i).get(10, TimeUnit.SECONDS);
        assertArrayEquals(expected.get(i).tokenIds(), got.tokenIds(), requests.get(i).requestId());
        for (int t = 0; t < got.routedExperts().size(); t++) {
          assertArrayEquals(expected.get(i).routedExperts().get(t), got.routedExperts().get(t));
        }
      }
    }
    assertEquals(List.of(1, 4), backend.prefillBatchSizes(), "the four queued prompts were not prefilled together");
  }

  /** The prompt with the fake model's P image tokens in front. */
  private static int[] withImageTokens(int[] text) {
    int[] out = new int[FakeBackend.P + text.length];
    java.util.Arrays.fill(out, 0, FakeBackend.P, FakeBackend.IMAGE);
    System.arraycopy(text, 0, out, FakeBackend.P, text.length);
    return out;
  }

  @Test
  void requestJoiningMidFlightKeepsBothResults() throws Exception {
    FakeBackend backend = new FakeBackend().decodeDelayMillis(2);
    GenerationRequest first = request("first", "Describe the scene in detail.", SamplingParams.greedy(40));
    GenerationRequest second = request("second", "Short?", sampled(7, 10));
    GenerationResult firstAlone = alone(backend, first);
    GenerationResult secondAlone = alone(backend, second);
    backend.decodeBatchSizes().clear();
    try (GenerationEngine engine = engine(backend, 4, 4)) {
      CountDownLatch fiveTokens = new CountDownLatch(5);
      CompletableFuture<GenerationResult> firstDone = new CompletableFuture<>();
      engine.submit(first, new CollectingListener(firstDone) {
        @Override
        public void onToken(GeneratedToken token) {
          fiveTokens.countDown();
        }
      });
      assertTrue(fiveTokens.await(10, TimeUnit.SECONDS));
      GenerationResult secondGot = engine.generate(second).get(10, TimeUnit.SECONDS);
      GenerationResult firstGot = firstDone.get(10, TimeUnit.SECONDS);
      assertArrayEquals(firstAlone.tokenIds(), firstGot.tokenIds());
      assertArrayEquals(secondAlone.tokenIds(), secondGot.tokenIds());
    }
    assertTrue(backend.decodeBatchSizes().contains(2), "the second request never joined the first's batch");
  }

  @Test
  void cancellationFreesTheSlot() throws Exception {
    FakeBackend backend = new FakeBackend().decodeDelayMillis(2);
    try (GenerationEngine engine = engine(backend, 1, 4)) {
      CountDownLatch firstToken = new CountDownLatch(1);
      CompletableFuture<GenerationResult> longDone = new CompletableFuture<>();
      GenerationHandle handle = engine.submit(request("long", "Go on forever", SamplingParams.greedy(200)),
          new CollectingListener(longDone) {
            @Override
            public void onToken(GeneratedToken token) {
              firstToken.countDown();
            }
          });
      CompletableFuture<GenerationResult> waiting = engine.generate(request("next", "Next", SamplingParams.greedy(5)));
      assertTrue(firstToken.await(10, TimeUnit.SECONDS));
      assertFalse(waiting.isDone(), "the only slot was taken, the second request must wait");
      handle.cancel();
      GenerationResult cancelled = longDone.get(10, TimeUnit.SECONDS);
      assertEquals(FinishReason.CANCELLED, cancelled.finishReason());
      assertTrue(cancelled.completionTokens() < 200);
      assertEquals(5, waiting.get(10, TimeUnit.SECONDS).completionTokens());
      assertEquals(0, engine.activeCount());
    }
  }

  @Test
  void cancellingAQueuedRequestRemovesItFromTheQueue() throws Exception {
    Semaphore gate = new Semaphore(0);
    FakeBackend backend = new FakeBackend().gate(gate);
    try (GenerationEngine engine = engine(backend, 1, 1)) {
      CompletableFuture<GenerationResult> running = engine.generate(request("a", "A", SamplingParams.greedy(3)));
      awaitTrue(() -> backend.waitingAtGate() == 1);
      CompletableFuture<GenerationResult> queuedDone = new CompletableFuture<>();
      GenerationHandle queued = engine.submit(request("b", "B", SamplingParams.greedy(3)),
          new CollectingListener(queuedDone));
      assertEquals(1, engine.queueDepth());
      queued.cancel();
      assertEquals(FinishReason.CANCELLED, queuedDone.get(5, TimeUnit.SECONDS).finishReason());
      assertEquals(0, engine.queueDepth());
      engine.submit(request("c", "C", SamplingParams.greedy(3)), new CollectingListener(new CompletableFuture<>()));
      gate.release();
      assertEquals(3, running.get(10, TimeUnit.SECONDS).completionTokens());
    }
  }

  @Test
  void fullQueueRejects() throws Exception {
    Semaphore gate = new Semaphore(0);
    FakeBackend backend = new FakeBackend().gate(gate);
    try (GenerationEngine engine = engine(backend, 1, 1)) {
      CompletableFuture<GenerationResult> a = engine.generate(request("a", "A", SamplingParams.greedy(3)));
      awaitTrue(() -> backend.waitingAtGate() == 1);
      CompletableFuture<GenerationResult> b = engine.generate(request("b", "B", SamplingParams.greedy(3)));
      assertThrows(EngineBusyException.class, () -> engine.generate(request("c", "C", SamplingParams.greedy(3))));
      gate.release();
      assertEquals(3, a.get(10, TimeUnit.SECONDS).completionTokens());
      assertEquals(3, b.get(10, TimeUnit.SECONDS).completionTokens());
    }
  }

  @Test
  void backendFailureInABatchFailsOnlyThatRequest() throws Exception {
    FakeBackend backend = new FakeBackend().decodeDelayMillis(1);
    String longPrompt = "x".repeat(40);
    GenerationRequest ok = request("ok", "Hi", SamplingParams.greedy(30));
    GenerationResult okAlone = alone(backend, ok);
    backend.failDecodeAtPosition(45);
    try (GenerationEngine engine = engine(backend, 4, 4)) {
      CompletableFuture<GenerationResult> bad = engine.generate(request("bad", longPrompt, SamplingParams.greedy(20)));
      CompletableFuture<GenerationResult> good = engine.generate(ok);
      ExecutionException failure = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
      assertInstanceOf(IllegalStateException.class, failure.getCause());
      assertArrayEquals(okAlone.tokenIds(), good.get(10, TimeUnit.SECONDS).tokenIds());
      assertEquals(3, engine.generate(request("after", "Yo", SamplingParams.greedy(3))).get(10, TimeUnit.SECONDS)
          .completionTokens(), "the engine keeps serving after a failure");
    }
  }

  @Test
  void eosStopsAndIsNotInTheText() throws Exception {
    FakeBackend backend = new FakeBackend().eosAtPosition(10);
    GenerationResult result = alone(backend, request("e", "Hello", SamplingParams.greedy(50)));
    // prompt positions 0..4; the token sampled at position p is generated token p - 4; eos from position 10
    assertEquals(FinishReason.STOP, result.finishReason());
    assertEquals(7, result.completionTokens());
    assertEquals(FakeBackend.EOS, result.tokenIds()[6]);
    assertEquals(EngineFixtures.TOKENIZER.decode(result.tokenIds(), 6), result.text());
  }

  @Test
  void stopStringCutsTheTextAndStreamedDeltasAgree() throws Exception {
    FakeBackend backend = new FakeBackend();
    String full = alone(backend, request("s", "Tell me", SamplingParams.greedy(30))).text();
    String stop = full.substring(8, 11);
    int at = full.indexOf(stop);
    SamplingParams withStop = new SamplingParams(0, 1, 0, 0, 30, List.of(stop));
    StringBuilder streamed = new StringBuilder();
    CompletableFuture<GenerationResult> done = new CompletableFuture<>();
    try (GenerationEngine engine = engine(backend, 1, 1)) {
      engine.submit(request("s", "Tell me", withStop), new CollectingListener(done) {
        @Override
        public void onToken(GeneratedToken token) {
          streamed.append(token.textDelta());
        }
      });
      GenerationResult result = done.get(10, TimeUnit.SECONDS);
      assertEquals(FinishReason.STOP, result.finishReason());
      assertEquals(full.substring(0, at), result.text());
      assertEquals(result.text(), streamed.toString());
      assertTrue(result.completionTokens() <= at + stop.length());
    }
  }

  @Test
  void routedExpertsAreTheTopKOfTheRouterAtTheProducingPosition() throws Exception {
    FakeBackend backend = new FakeBackend();
    int[] prompt = prompt("Which experts?");
    GenerationResult result = alone(backend, new GenerationRequest("x", prompt, null, SamplingParams.greedy(8)));
    for (int t = 0; t < result.completionTokens(); t++) {
      int input = t == 0 ? prompt[prompt.length - 1] : result.tokenIds()[t - 1];
      double[] x = floats(FakeBackend.embedding(input));
      int[][] experts = result.routedExperts().get(t);
      assertEquals(2, experts.length);
      for (int j = 0; j < 2; j++) {
        float[] logits = new float[FakeBackend.EXPERTS];
        for (int e = 0; e < logits.length; e++) {
          logits[e] = FakeBackend.routerLogit(j, e, x);
        }
        assertArrayEquals(referenceTop2(logits), experts[j], "token " + t + " layer " + j);
      }
    }
  }

  @Test
  void rejectsPromptsThatDoNotFit() {
    FakeBackend backend = new FakeBackend(32, false);
    try (GenerationEngine engine = engine(backend, 1, 1)) {
      assertThrows(InvalidInputException.class,
          () -> engine.generate(request("long", "x".repeat(30), SamplingParams.greedy(5))));
      assertThrows(InvalidInputException.class, () -> engine.generate(
          new GenerationRequest("img", new int[] {FakeBackend.IMAGE, 5}, null, SamplingParams.greedy(5))));
    }
  }

  /** The context check is the only one: a request that fills the context exactly runs to max_tokens. */
  @Test
  void requestThatFillsTheContextExactlyRunsToMaxTokens() throws Exception {
    FakeBackend backend = new FakeBackend(32, false);
    int[] prompt = prompt("x".repeat(27));
    GenerationResult result = alone(backend, new GenerationRequest("fit", prompt, null, SamplingParams.greedy(5)));
    assertEquals(FinishReason.LENGTH, result.finishReason());
    assertEquals(referenceGreedy(backend, prompt, 5), list(result.tokenIds()));
    ContextLengthExceededException over = assertThrows(ContextLengthExceededException.class,
        () -> alone(backend, new GenerationRequest("over", prompt, null, SamplingParams.greedy(6))));
    assertEquals("prompt of 27 tokens plus max_tokens 6 exceeds the model context of 32 tokens", over.getMessage());
  }

  @Test
  void sameSeedSameTokensDifferentSeedDifferentTokens() throws Exception {
    FakeBackend backend = new FakeBackend();
    SamplingParams hot = new SamplingParams(1.5, 1, 0, 42, 30, List.of());
    GenerationResult one = alone(backend, request("a", "Seeded", hot));
    GenerationResult two = alone(backend, request("b", "Seeded", hot));
    GenerationResult other = alone(backend, request("c", "Seeded", new SamplingParams(1.5, 1, 0, 43, 30, List.of())));
    assertArrayEquals(one.tokenIds(), two.tokenIds());
    assertNotEquals(list(one.tokenIds()), list(other.tokenIds()));
  }

  /** Top-2 by a plain sort: value descending, index ascending. */
  private static int[] referenceTop2(float[] logits) {
    Integer[] order = new Integer[logits.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : a - b);
    return new int[] {order[0], order[1]};
  }

  private static double[] floats(double[] x) {
    double[] rounded = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      rounded[i] = (float) x[i];
    }
    return rounded;
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached in 10 s");
      }
      Thread.sleep(2);
    }
  }

  /** Completes a future with the result or error. */
  static class CollectingListener implements GenerationListener {
    private final CompletableFuture<GenerationResult> done;
    final AtomicInteger tokens = new AtomicInteger();

    CollectingListener(CompletableFuture<GenerationResult> done) {
      this.done = done;
    }

    @Override
    public void onToken(GeneratedToken token) {
      tokens.incrementAndGet();
    }

    @Override
    public void onFinish(GenerationResult result) {
      done.complete(result);
    }

    @Override
    public void onError(RuntimeException error) {
      done.completeExceptionally(error);
    }
  }
}
