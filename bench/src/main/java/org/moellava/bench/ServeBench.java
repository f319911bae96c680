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
 * Text-only prompts of 24 tokens, 32 greedy tokens each (prefix caching off: the prompts share nothing).
 *
 * <p>Then a multi-turn chat about one image, as a chat client sends it (each turn repeats the conversation so far:
 * the image, the earlier questions and answers, then a new question of 12 tokens), with prefix caching on and off:
 * the time to first token of turns 2 to {@link #TURNS}, whose ratio (cached / not) has the target 0.3 or less.
 *
 * <p>Last, long arrivals: {@link #STREAMS} streams decode {@link #STREAM_TOKENS} tokens each while {@link #ARRIVALS}
 * prompts of {@link #ARRIVAL} tokens (or the context less 16) arrive, one after each 16 tokens of the first stream;
 * the streams' inter-token latency p99
 * without arrivals, with arrivals and chunked prefill off, and with it on ({@link EngineConfig#DEFAULT_PREFILL_CHUNK_TOKENS}
 * tokens): the ratio (on / no arrivals) has the target 2 or less.
 */
public final class ServeBench {
  /** Concurrency levels measured. */
  public static final int[] CONCURRENCY = {1, 4, 8, 16};
  private static final int PROMPT = 24;
  private static final int TOKENS = 32;
  /** Turns of the multi-turn chat. */
  static final int TURNS = 4;
  private static final int QUESTION = 12;
  /** Streams running while long prompts arrive. */
  static final int STREAMS = 4;
  private static final int STREAM_TOKENS = 64;
  private static final int ARRIVAL = 1000;
  private static final int ARRIVALS = 3;

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
        new EngineConfig(16, 64, 0), new EngineObserver() {})) {
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
    double deterministic;
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(backend.info().vocabSize()),
        EngineConfig.deterministic(16, 64), new EngineObserver() {})) {
      level(engine, backend, 8, 1); // warm-up
      deterministic = level(engine, backend, 8, requestsPerClient)[3];
    }
    figures.add(new BenchResult.Figure(label + " concurrency 8, --deterministic: aggregate", deterministic,
        "tokens/s"));
    double[] uncached = multiTurn(backend, 0);
    double[] cached = multiTurn(backend, EngineConfig.DEFAULT_PREFIX_CACHE_BYTES);
    for (int turn = 0; turn < TURNS; turn++) {
      String at = label + " multi-turn image chat, turn " + (turn + 1) + " time to first token";
      figures.add(new BenchResult.Figure(at + ", no prefix cache", uncached[turn], "ms"));
      figures.add(new BenchResult.Figure(at + ", prefix cache", cached[turn], "ms"));
    }
    double quiet = streamsItlP99(backend, 0, false);
    double unchunked = streamsItlP99(backend, 0, true);
    double chunked = streamsItlP99(backend, EngineConfig.DEFAULT_PREFILL_CHUNK_TOKENS, true);
    String streams = label + " " + STREAMS + " streams, inter-token latency p99";
    figures.add(new BenchResult.Figure(streams + ", no arrivals", quiet, "ms"));
    figures.add(new BenchResult.Figure(streams + ", long arrivals, whole prefill", unchunked, "ms"));
    figures.add(new BenchResult.Figure(streams + ", long arrivals, prefill chunks of "
        + EngineConfig.DEFAULT_PREFILL_CHUNK_TOKENS, chunked, "ms"));
    List<BenchResult.Ratio> ratios = List.of(
        new BenchResult.Ratio(label + " aggregate tokens/s: concurrency 8 / concurrency 1", eight / one, 3.0, false),
        new BenchResult.Ratio(label + " multi-turn image chat, turns 2-" + TURNS + " time to first token: prefix "
            + "cache / none", laterTurns(cached) / laterTurns(uncached), 0.3, true),
        new BenchResult.Ratio(streams + ": long arrivals with chunked prefill / no arrivals", chunked / quiet, 2.0,
            true),
        new BenchResult.Ratio(label + " concurrency 8 aggregate tokens/s: --deterministic / batched",
            deterministic / eight, Double.NaN, false));
    return new BenchResult("serve", BenchResult.thisMachine(), figures, ratios);
  }

  /**
   * Time to first token (ms) of each turn of a chat about one image, the mean over 3 chats (each with its own
   * image and words) after one warm-up chat, on an engine with {@code prefixCacheBytes} of prefix cache.
   */
  static double[] multiTurn(Backend backend, long prefixCacheBytes) {
    double[] ttftMillis = new double[TURNS];
    int chats = 3;
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(backend.info().vocabSize()),
        new EngineConfig(1, 4, prefixCacheBytes), new EngineObserver() {})) {
      for (int chat = -1; chat < chats; chat++) {
        float[] pixels = pixels(backend, chat + 100);
        int imageTokens = backend.info().numImageTokens();
        int[] conversation = new int[imageTokens];
        Arrays.fill(conversation, backend.info().imageTokenId());
        for (int turn = 0; turn < TURNS; turn++) {
          int[] question = prompt(backend, 1000 + chat * 17 + turn, QUESTION);
          int[] asked = concat(conversation, question);
          GenerationResult result = engine.generate(new GenerationRequest("bench-chat", asked, pixels,
              SamplingParams.greedy(TOKENS))).join();
          if (chat >= 0) {
            ttftMillis[turn] += result.timeToFirstTokenNanos() / 1e6 / chats;
          }
          conversation = concat(asked, result.tokenIds());
        }
      }
    }
    return ttftMillis;
  }

  /**
   * The inter-token latency p99 (ms) of {@link #STREAMS} streams decoding {@link #STREAM_TOKENS} greedy tokens each,
   * with or without {@link #ARRIVALS} long prompts arriving meanwhile, on an engine with prefill chunks of
   * {@code chunkTokens} (0: whole prefills). The best of 2 rounds after a warm-up round.
   */
  static double streamsItlP99(Backend backend, int chunkTokens, boolean arrivals) {
    int arrival = Math.min(ARRIVAL, backend.info().maxContext() - 16);
    double best = Double.POSITIVE_INFINITY;
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(backend.info().vocabSize()),
        new EngineConfig(STREAMS + 1, 16, 0, chunkTokens), new EngineObserver() {})) {
      for (int round = 0; round < 3; round++) {
        List<Long> itl = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger firstStreamTokens = new java.util.concurrent.atomic.AtomicInteger();
        List<java.util.concurrent.CompletableFuture<GenerationResult>> running = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
          long[] last = {-1};
          boolean first = s == 0;
          running.add(engine.generate(new GenerationRequest("stream", prompt(backend, 500 + s),
              null, SamplingParams.greedy(STREAM_TOKENS)), token -> {
                long now = System.nanoTime();
                if (last[0] >= 0) itl.add(now - last[0]);
                last[0] = now;
                if (first) firstStreamTokens.incrementAndGet();
              }));
        }
        // one arrival after every 16 tokens of the first stream (3 in all), each waited for
        for (int sent = 0; arrivals && sent < ARRIVALS; sent++) {
          while (firstStreamTokens.get() < 8 + 16 * sent && !running.get(0).isDone()) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // a 1 ms poll, no core spent spinning
          }
          engine.generate(new GenerationRequest("arrival", prompt(backend, 900 + sent, arrival), null,
              SamplingParams.greedy(1))).join();
        }
        running.forEach(java.util.concurrent.CompletableFuture::join);
        if (round > 0) {
          best = Math.min(best, percentile(itl, 99));
        }
      }
    }
    return best;
  }

  private static double laterTurns(double[] ttftMillis) {
    double sum = 0;
    for (int turn = 1; turn < ttftMillis.length; turn++) {
      sum += ttftMillis[turn];
    }
    return sum / (ttftMillis.length - 1);
  }

  private static int[] concat(int[] a, int[] b) {
    int[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /** An image of normal(0, 1) pixel values, {@code [3, H, W]}. */
  private static float[] pixels(Backend backend, long seed) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    int size = backend.info().imageSize();
    float[] pixels = new float[3 * size * size];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return pixels;
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
    return prompt(backend, seed, PROMPT);
  }

  private static int[] prompt(Backend backend, int seed, int length) {
    int vocab = backend.info().vocabSize();
    int[] ids = new int[length];
    for (int i = 0; i < length; i++) {
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
