package org.moellava.serve.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.graph.WeightInitializer;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.serve.backend.tf.TfBackend;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GeneratedToken;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationListener;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;

/**
 * Serving figures on the TensorFlow backend with the {@code tiny} preset and random weights: time to first
 * token, inter-token latency p50/p99 and aggregate tokens/s at concurrency 1, 4, 8 and 16 (each client sends
 * requests back to back; text-only 24-token prompts, 32 greedy tokens, eos never forced). Checks that
 * continuous batching pays: aggregate tokens/s at concurrency 8 is at least 3x that at concurrency 1.
 */
@Tag("heavy")
class TfServingBenchmarkTest {
  private static final int PROMPT = 24;
  private static final int TOKENS = 32;
  private static final int REQUESTS_PER_CLIENT = 3;

  record Figures(int concurrency, double ttftP50Ms, double itlP50Ms, double itlP99Ms, double tokensPerSecond) {}

  @Test
  void batchingRaisesAggregateThroughput() throws Exception {
    ModelConfig config = Presets.get("tiny");
    try (TfBackend backend = new TfBackend(config, WeightInitializer.randomWeights(config, 5), "tiny-random")) {
      run(backend, 2, 1); // warm-up: graph optimisation, allocator
      List<Figures> all = new ArrayList<>();
      for (int c : new int[] {1, 4, 8, 16}) all.add(run(backend, c, REQUESTS_PER_CLIENT));
      System.out.println("concurrency | TTFT p50 ms | ITL p50 ms | ITL p99 ms | aggregate tokens/s");
      for (Figures f : all) {
        System.out.printf(Locale.ROOT, "%11d | %11.1f | %10.1f | %10.1f | %18.1f%n", f.concurrency(), f.ttftP50Ms(),
            f.itlP50Ms(), f.itlP99Ms(), f.tokensPerSecond());
      }
      double one = all.get(0).tokensPerSecond();
      double eight = all.get(2).tokensPerSecond();
      assertTrue(eight >= 3 * one, "concurrency 8 gives " + eight + " tokens/s, concurrency 1 " + one);
    }
  }

  private static Figures run(TfBackend backend, int concurrency, int perClient) throws Exception {
    List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
    List<Long> itl = Collections.synchronizedList(new ArrayList<>());
    long[] tokens = new long[1];
    long start = System.nanoTime();
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(backend.info().vocabSize()),
        new EngineConfig(16, 64), new EngineObserver() {})) {
      List<CompletableFuture<Void>> clients = new ArrayList<>();
      for (int c = 0; c < concurrency; c++) {
        int client = c;
        clients.add(CompletableFuture.runAsync(() -> {
          for (int r = 0; r < perClient; r++) {
            GenerationResult result = once(engine, prompt(client * 31 + r), itl);
            ttft.add(result.timeToFirstTokenNanos());
            synchronized (tokens) {
              tokens[0] += result.completionTokens();
            }
          }
        }));
      }
      for (CompletableFuture<Void> f : clients) f.get(10, TimeUnit.MINUTES);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Figures(concurrency, pct(ttft, 50), pct(itl, 50), pct(itl, 99), tokens[0] / seconds);
  }

  private static GenerationResult once(GenerationEngine engine, int[] prompt, List<Long> itl) {
    CompletableFuture<GenerationResult> done = new CompletableFuture<>();
    long[] last = {-1};
    engine.submit(new GenerationRequest("b", prompt, null, SamplingParams.greedy(TOKENS)), new GenerationListener() {
      @Override
      public void onToken(GeneratedToken token) {
        long now = System.nanoTime();
        if (last[0] >= 0) itl.add(now - last[0]);
        last[0] = now;
      }

      @Override
      public void onFinish(GenerationResult result) {
        done.complete(result);
      }

      @Override
      public void onError(RuntimeException error) {
        done.completeExceptionally(error);
      }
    });
    return done.join();
  }

  private static int[] prompt(int seed) {
    int[] ids = new int[PROMPT];
    for (int i = 0; i < PROMPT; i++) ids[i] = 3 + (seed * 7 + i * 11) % 120;
    return ids;
  }

  private static double pct(List<Long> nanos, int p) {
    long[] v = nanos.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(v);
    return v.length == 0 ? Double.NaN : v[Math.min(v.length - 1, (int) Math.ceil(p / 100.0 * v.length) - 1)] / 1e6;
  }
}
