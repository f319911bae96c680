package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.engine.EngineFixtures.list;
import static org.moellava.serve.engine.EngineFixtures.prompt;
import static org.moellava.serve.engine.EngineFixtures.referenceGreedy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.error.InvalidInputException;
import org.moellava.serve.fake.FakeBackend;

/** {@code --deterministic}: one sequence per decoder call, and no prefix cache or chunks to make calls differ. */
@Timeout(60)
class DeterministicModeTest {
  @Test
  void everyDecoderCallHoldsOneSequenceAndAnswersAreTheFullRecomputation() throws Exception {
    List<Integer> batches = new ArrayList<>();
    EngineObserver observer = new EngineObserver() {
      @Override
      public synchronized void decoderCall(int batchSize, boolean prefill) {
        batches.add(batchSize);
      }
    };
    FakeBackend backend = new FakeBackend().decodeDelayMillis(1);
    List<int[]> prompts = List.of(prompt("one"), prompt("two words"), prompt("a third, longer prompt"),
        prompt("four"), prompt("the fifth of them"));
    try (GenerationEngine engine = new GenerationEngine(backend, EngineFixtures.TOKENIZER,
        EngineConfig.deterministic(8, 8), observer)) {
      List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
      for (int[] p : prompts) {
        futures.add(engine.generate(new GenerationRequest("d", p, null, SamplingParams.greedy(10))));
      }
      for (int i = 0; i < prompts.size(); i++) {
        assertEquals(referenceGreedy(new FakeBackend(), prompts.get(i), 10),
            list(futures.get(i).get(20, TimeUnit.SECONDS).tokenIds()), "prompt " + i);
      }
    }
    synchronized (observer) {
      assertTrue(batches.size() >= prompts.size() * 10, "every prompt and step ran: " + batches.size());
      assertTrue(batches.stream().allMatch(b -> b == 1), "one sequence per call: " + batches);
    }
  }

  @Test
  void deterministicModeRefusesPrefixCachingAndChunks() {
    InvalidInputException cache = assertThrows(InvalidInputException.class,
        () -> new EngineConfig(4, 4, 1 << 20, 0, true));
    assertTrue(cache.getMessage().contains("prefix caching and chunked prefill off"), cache.getMessage());
    assertThrows(InvalidInputException.class, () -> new EngineConfig(4, 4, 0, 64, true));
    EngineConfig ok = EngineConfig.deterministic(4, 4);
    assertTrue(ok.deterministic() && ok.prefixCacheBytes() == 0 && ok.prefillChunkTokens() == 0);
  }
}
