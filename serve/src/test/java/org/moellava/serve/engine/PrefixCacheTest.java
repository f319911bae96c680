package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.engine.EngineFixtures.list;
import static org.moellava.serve.engine.EngineFixtures.prompt;
import static org.moellava.serve.engine.EngineFixtures.referenceGreedy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.fake.FakeBackend;

/** Prefix caching: which positions may be reused, the blocks' names, and answers equal to those without it. */
@Timeout(60)
class PrefixCacheTest {
  private static final int IMG = FakeBackend.IMAGE;
  private static final int B = PrefixCache.BLOCK_TOKENS;

  /** Counts the prompt tokens each prefill computed and the lookups. */
  private static final class Counting implements EngineObserver {
    final List<Integer> computed = new ArrayList<>();
    final List<int[]> lookups = new ArrayList<>();

    @Override
    public synchronized void promptTokens(int count) {
      computed.add(count);
    }

    @Override
    public synchronized void prefixCacheLookup(int promptTokens, int cachedTokens) {
      lookups.add(new int[] {promptTokens, cachedTokens});
    }
  }

  private static GenerationEngine engine(FakeBackend backend, long cacheBytes, EngineObserver observer) {
    return new GenerationEngine(backend, EngineFixtures.TOKENIZER, new EngineConfig(4, 16, cacheBytes), observer);
  }

  private static GenerationResult run(GenerationEngine engine, int[] prompt, float[] pixels) throws Exception {
    SamplingParams greedyWithLogprobs = new SamplingParams(0, 1, 0, 1, 12, List.of(), 0, 0, java.util.Map.of(), 3);
    return engine.generate(new GenerationRequest("r", prompt, pixels, greedyWithLogprobs)).get(20, TimeUnit.SECONDS);
  }

  private static int[] withImage(String before, String after) {
    int[] head = prompt(before);
    int[] tail = prompt(after);
    int[] all = Arrays.copyOf(head, head.length + FakeBackend.P + tail.length);
    Arrays.fill(all, head.length, head.length + FakeBackend.P, IMG);
    System.arraycopy(tail, 0, all, head.length + FakeBackend.P, tail.length);
    return all;
  }

  private static float[] image(float value) {
    float[] pixels = new float[3 * FakeBackend.IMAGE_SIZE * FakeBackend.IMAGE_SIZE];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = value * (float) Math.sin(0.37 * i);
    }
    return pixels;
  }

  @Test
  void reusableLengthIsWholeBlocksLeavesTheLastTokenAndNeverSplitsTheImage() {
    assertEquals(0, PrefixCache.reusableLength(new int[B], IMG), "one block exactly: its last token is computed");
    assertEquals(B, PrefixCache.reusableLength(new int[B + 1], IMG));
    assertEquals(2 * B, PrefixCache.reusableLength(new int[3 * B], IMG));
    int[] imageAcrossBlock1 = new int[3 * B + 5]; // image tokens at 14..17 straddle blocks 0 and 1
    Arrays.fill(imageAcrossBlock1, 14, 18, IMG);
    assertEquals(3 * B, PrefixCache.reusableLength(imageAcrossBlock1, IMG), "the image lies wholly inside");
    int[] imageAtTheEnd = new int[2 * B + 3]; // 2 blocks reusable, but image tokens at 30..33 cross position 32
    Arrays.fill(imageAtTheEnd, 30, 34, IMG);
    assertEquals(B, PrefixCache.reusableLength(imageAtTheEnd, IMG), "cut to the block before the image");
  }

  @Test
  void aBlocksNameFixesEveryTokenBeforeItAndTheImageFromItsBlockOn() {
    PrefixCache cache = new PrefixCache(new FakeBackend().info(), 1 << 20);
    int[] a = new int[3 * B];
    Arrays.fill(a, 7);
    Arrays.fill(a, B + 2, B + 2 + FakeBackend.P, IMG); // the image in block 1
    byte[] red = PrefixCache.imageDigest(image(1f));
    byte[] blue = PrefixCache.imageDigest(image(2f));
    List<PrefixCache.BlockName> names = cache.names(a, a.length, red);
    assertEquals(3, names.size());
    assertEquals(names, cache.names(a.clone(), a.length, red.clone()), "a pure function of tokens and image");
    List<PrefixCache.BlockName> otherImage = cache.names(a, a.length, blue);
    assertEquals(names.get(0), otherImage.get(0), "block 0 comes before the image");
    assertNotEquals(names.get(1), otherImage.get(1));
    assertNotEquals(names.get(2), otherImage.get(2), "chained: everything after the image depends on it");
    int[] b = a.clone();
    b[3] = 8;
    List<PrefixCache.BlockName> changed = cache.names(b, b.length, red);
    for (int i = 0; i < 3; i++) {
      assertNotEquals(names.get(i), changed.get(i), "block " + i);
    }
  }

  @Test
  void aRepeatedPromptComputesOnlyItsRestAndAnswersAsTheFullRecomputation() throws Exception {
    FakeBackend backend = new FakeBackend();
    int[] prompt = prompt("You are a helpful assistant. Describe the scene in a few words, please.");
    Counting seen = new Counting();
    try (GenerationEngine engine = engine(backend, 1 << 20, seen)) {
      GenerationResult first = run(engine, prompt, null);
      GenerationResult second = run(engine, prompt, null);
      int reused = (prompt.length - 1) / B * B;
      assertEquals(0, first.cachedPromptTokens());
      assertEquals(reused, second.cachedPromptTokens());
      assertEquals(List.of(prompt.length, prompt.length - reused), seen.computed);
      List<Integer> reference = referenceGreedy(backend, prompt, 12);
      assertEquals(reference, list(first.tokenIds()));
      assertEquals(reference, list(second.tokenIds()));
      assertSameLogprobs(first.logprobs(), second.logprobs());
    }
  }

  @Test
  void theNextTurnOfAChatAboutAnImageReusesTheImageAndTheAnswer() throws Exception {
    FakeBackend cachedBackend = new FakeBackend();
    FakeBackend plainBackend = new FakeBackend();
    float[] pixels = image(1f);
    int[] turn1 = withImage("SYSTEM: be brief. USER: ", " what is in the picture? ASSISTANT:");
    try (GenerationEngine cached = engine(cachedBackend, 1 << 20, EngineObserver.NONE);
        GenerationEngine plain = engine(plainBackend, 0, EngineObserver.NONE)) {
      GenerationResult answer = run(cached, turn1, pixels);
      int[] asked = prompt(" USER: and its colour? ASSISTANT:");
      int[] turn2 = Arrays.copyOf(turn1, turn1.length + answer.tokenIds().length + asked.length);
      System.arraycopy(answer.tokenIds(), 0, turn2, turn1.length, answer.tokenIds().length);
      System.arraycopy(asked, 0, turn2, turn1.length + answer.tokenIds().length, asked.length);
      GenerationResult second = run(cached, turn2, pixels);
      // the slot held the prompt and all but the last generated token when turn 1 ended
      int held = turn1.length + answer.tokenIds().length - 1;
      assertEquals(held / B * B, second.cachedPromptTokens(), "turn 2 pays neither the image nor turn 1");
      GenerationResult without = run(plain, turn2, pixels);
      assertEquals(0, without.cachedPromptTokens());
      assertEquals(list(without.tokenIds()), list(second.tokenIds()));
      assertSameLogprobs(without.logprobs(), second.logprobs());
    }
  }

  @Test
  void anotherImageBehindTheSameTextReusesOnlyTheBlocksBeforeIt() throws Exception {
    FakeBackend cachedBackend = new FakeBackend();
    FakeBackend plainBackend = new FakeBackend();
    int[] prompt = withImage("SYSTEM: you answer questions about pictures. USER: ", " what is this? ASSISTANT:");
    int firstImage = prompt("SYSTEM: you answer questions about pictures. USER: ").length;
    try (GenerationEngine cached = engine(cachedBackend, 1 << 20, EngineObserver.NONE);
        GenerationEngine plain = engine(plainBackend, 0, EngineObserver.NONE)) {
      run(cached, prompt, image(1f));
      GenerationResult other = run(cached, prompt, image(-1f));
      assertEquals(firstImage / B * B, other.cachedPromptTokens());
      GenerationResult reference = run(plain, prompt, image(-1f));
      assertEquals(list(reference.tokenIds()), list(other.tokenIds()));
      assertSameLogprobs(reference.logprobs(), other.logprobs()); // the first image's keys and values must not leak in
    }
  }

  @Test
  void theCacheStaysWithinItsBytesAndEvictsTheLeastRecentlyUsed() throws Exception {
    FakeBackend backend = new FakeBackend();
    long blockBytes = new PrefixCache(backend.info(), 1).blockBytes();
    int[] a = prompt("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); // 39 tokens: 2 blocks reusable
    int[] b = prompt("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
    try (GenerationEngine engine = engine(backend, 2 * blockBytes, EngineObserver.NONE)) {
      run(engine, a, null); // a's 2 blocks; its third (the answer's, 39 + 12 - 1 = 50 positions) does not fit
      assertEquals(2 * B, run(engine, a, null).cachedPromptTokens());
      run(engine, b, null); // b's 2 blocks evict a's
      assertEquals(2 * B, run(engine, b, null).cachedPromptTokens());
      assertEquals(0, run(engine, a, null).cachedPromptTokens(), "evicted");
    }
  }

  @Test
  void concurrentRequestsWithAndWithoutHitsAnswerAsWithoutTheCache() throws Exception {
    String system = "SYSTEM: a long shared system prompt that many requests start with. USER: ";
    List<int[]> prompts = List.of(prompt(system + "one?"), prompt(system + "two, please?"),
        prompt("unrelated short"), prompt(system + "three"), prompt(system + "four!!"));
    List<List<Integer>> expected = new ArrayList<>();
    FakeBackend reference = new FakeBackend();
    for (int[] p : prompts) {
      expected.add(referenceGreedy(reference, p, 12));
    }
    FakeBackend backend = new FakeBackend().decodeDelayMillis(1);
    try (GenerationEngine engine = engine(backend, 1 << 20, EngineObserver.NONE)) {
      run(engine, prompt(system + "warm the cache"), null);
      List<java.util.concurrent.CompletableFuture<GenerationResult>> futures = new ArrayList<>();
      for (int[] p : prompts) {
        futures.add(engine.generate(new GenerationRequest("c", p, null, SamplingParams.greedy(12))));
      }
      for (int i = 0; i < prompts.size(); i++) {
        GenerationResult r = futures.get(i).get(20, TimeUnit.SECONDS);
        assertEquals(expected.get(i), list(r.tokenIds()), "prompt " + i);
        if (i != 2) {
          int systemBlocks = prompt(system).length / B * B;
          assertTrue(r.cachedPromptTokens() >= systemBlocks, "prompt " + i + " reuses the system prompt's "
              + systemBlocks + " positions; got " + r.cachedPromptTokens());
        } else {
          assertEquals(0, r.cachedPromptTokens());
        }
      }
    }
  }

  /** Bit-equal log probabilities, chosen tokens and alternatives. */
  private static void assertSameLogprobs(List<TokenLogprobs> expected, List<TokenLogprobs> actual) {
    assertEquals(expected.size(), actual.size());
    assertTrue(expected.size() > 0, "the request asked for log probabilities");
    for (int i = 0; i < expected.size(); i++) {
      TokenLogprobs e = expected.get(i);
      TokenLogprobs a = actual.get(i);
      assertEquals(e.tokenId(), a.tokenId(), "token " + i);
      assertEquals(e.logprob(), a.logprob(), 0.0, "token " + i);
      assertEquals(Arrays.toString(e.topIds()), Arrays.toString(a.topIds()), "token " + i);
      assertEquals(Arrays.toString(e.topLogprobs()), Arrays.toString(a.topLogprobs()), "token " + i);
    }
  }
}
