package org.moellava.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.moellava.error.MoeLlavaException;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.runtime.Backend;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;

/**
 * {@code bench serve}: the generation engine (continuous batching) on a backend, with clients sending requests
 * back to back: time to first token, inter-token latency p50/p99 and aggregate tokens/s at each concurrency.
 * Text-only prompts of 24 tokens, 32 greedy tokens each.
 */
public final class ServeBench {
  /** Concurrency levels measured. */
  public static final int[] CONCURRENCY = {1, 4, 8, 16};
  private static final int PROMPT = 24;
  private static final int TOKENS = 32;

  private ServeBench() {}

  /**
   * Runs every concurrency level with {@code requestsPerClient} requests per client, through one engine (as a
   * server runs), after a warm-up at the largest concurrency that allocates its KV slots and the backend's buffers.
   */
  public static BenchResult run(String label, Backend backend, int requestsPerClient) {
    List<BenchResult.Figure> figures = new ArrayList<>();
    double one = 0;
    double eight = 0;
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(backend.info().vocabSize()),
        new EngineConfig(16, 64), new EngineObserver() {})) {
      level(engine, backend, CONCURRENCY[CONCURRENCY.length - 1], 1); // warm-up
      for (int c : CONCURRENCY) {
        double[] f = level(engine, backend, c, requestsPerClient);
        String at = label + " concurrency " + c + ": ";
        figures.add(new BenchResult.Figure(at + "time to first token p50", f[0], "ms"));
        figures.add(new BenchResult.Figure(at + "inter-token latency p50", f[1], "ms"));
        figures.add(new BenchResult.Figure(at + "inter-token latency p99", f[2], "ms"));
        figures.add(new BenchResult.Figure(at + "aggregate", f[3], "tokens/s"));
        if (c == 1) one = f[3];
        if (c == 8) eight = f[3];
      }
    }
    List<BenchResult.Ratio> ratios = List.of(new BenchResult.Ratio(
        label + " aggregate tokens/s: concurrency 8 / concurrency 1", eight / one, 3.0, false));
    return new BenchResult("serve", BenchResult.thisMachine(), figures, ratios);
  }

  /**
   * {@code concurrency} clients, each on its own thread, send {@code perClient} requests back to back.
   * Returns [TTFT p50 ms, ITL p50 ms, ITL p99 ms, aggregate tokens/s].
   */
  private static double[] level(GenerationEngine engine, Backend backend, int concurrency, int perClient) {
    List<Long> ttft = Collections.synchronizedList(new ArrayList<>());
    List<Long> itl = Collections.synchronizedList(new ArrayList<>());
    long[] tokens = new long[1];
    ExecutorService clientThreads = Executors.newFixedThreadPool(concurrency);
    long start = System.nanoTime();
    try {
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < concurrency; c++) {
        int client = c;
        clients.add(clientThreads.submit(() -> {
          for (int r = 0; r < perClient; r++) {
            GenerationResult result = once(engine, prompt(backend, client * 31 + r), itl);
            ttft.add(result.timeToFirstTokenNanos());
            synchronized (tokens) {
              tokens[0] += result.completionTokens();
            }
          }
        }));
      }
      for (Future<?> f : clients) f.get(10, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MoeLlavaException("bench serve interrupted", MoeLlavaException.EXIT_FAILURE, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new MoeLlavaException("bench serve: a request failed: " + e.getMessage(), MoeLlavaException.EXIT_FAILURE, e);
    } finally {
      clientThreads.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new double[] {percentile(ttft, 50), percentile(itl, 50), percentile(itl, 99), tokens[0] / seconds};
  }

  private static GenerationResult once(GenerationEngine engine, int[] prompt, List<Long> itl) {
    long[] last = {-1};
    return engine.generate(new GenerationRequest("bench", prompt, null, SamplingParams.greedy(TOKENS)), token -> {
      long now = System.nanoTime();
      if (last[0] >= 0) itl.add(now - last[0]);
      last[0] = now;
    }).join();
  }

  private static int[] prompt(Backend backend, int seed) {
    int vocab = backend.info().vocabSize();
    int[] ids = new int[PROMPT];
    for (int i = 0; i < PROMPT; i++) {
      int id = 3 + (seed * 7 + i * 11) % (vocab - 3);
      ids[i] = id == backend.info().imageTokenId() ? id + 1 : id;
    }
    return ids;
  }

  private static double percentile(List<Long> nanos, int p) {
    long[] v = nanos.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(v);
    return v.length == 0 ? Double.NaN : v[Math.min(v.length - 1, (int) Math.ceil(p / 100.0 * v.length) - 1)] / 1e6;
  }
}
