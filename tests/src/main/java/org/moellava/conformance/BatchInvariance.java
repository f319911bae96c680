package org.moellava.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.moellava.error.MoeLlavaException;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.serve.engine.TokenLogprobs;

/**
 * Batch invariance of one backend through the serving engine: {@link #REQUESTS} requests of different lengths
 * (every third with an image), greedy with log probabilities, each run alone and then all submitted together to an
 * engine of {@link #REQUESTS} slots, batched ({@code --deterministic} off) and deterministic (on). Deterministic
 * must be bit-identical (tokens, log probabilities, routed experts); batched is reported as measured.
 */
public final class BatchInvariance {
  /** Requests per comparison. */
  public static final int REQUESTS = 8;
  private static final int TOKENS = 8;

  /**
   * One mode's comparison of alone and together.
   *
   * @param backend the backend's name
   * @param deterministic whether the engine ran {@code --deterministic}
   * @param requests requests compared
   * @param tokenMismatches requests whose generated tokens differ
   * @param expertMismatches requests whose routed experts differ
   * @param maxLogprobDiff largest absolute difference of a chosen token's log probability (equal tokens only)
   * @param largestBatch the most sequences one decoder call held when they ran together
   */
  public record Result(String backend, boolean deterministic, int requests, int tokenMismatches,
      int expertMismatches, double maxLogprobDiff, int largestBatch) {
    /** Bit-identical alone and together. */
    public boolean identical() {
      return tokenMismatches == 0 && expertMismatches == 0 && maxLogprobDiff == 0;
    }

    /** Deterministic mode must be identical; batched mode cannot fail. */
    public boolean failed() {
      return deterministic && !identical();
    }
  }

  private BatchInvariance() {}

  /** Both modes on {@code backend}. */
  public static List<Result> check(String name, Backend backend) {
    return List.of(check(name, backend, false), check(name, backend, true));
  }

  /** One mode on {@code backend}. */
  public static Result check(String name, Backend backend, boolean deterministic) {
    List<GenerationRequest> requests = requests(backend.info());
    List<GenerationResult> alone = new ArrayList<>();
    for (GenerationRequest request : requests) {
      alone.addAll(run(backend, List.of(request), deterministic, new int[1]));
    }
    int[] largest = new int[1];
    List<GenerationResult> together = run(backend, requests, deterministic, largest);
    int tokenMismatches = 0;
    int expertMismatches = 0;
    double maxDiff = 0;
    for (int i = 0; i < requests.size(); i++) {
      GenerationResult a = alone.get(i);
      GenerationResult t = together.get(i);
      if (!Arrays.equals(a.tokenIds(), t.tokenIds())) {
        tokenMismatches++;
        continue;
      }
      for (int j = 0; j < a.routedExperts().size(); j++) {
        if (!Arrays.deepEquals(a.routedExperts().get(j), t.routedExperts().get(j))) {
          expertMismatches++;
          break;
        }
      }
      for (int j = 0; j < a.logprobs().size(); j++) {
        TokenLogprobs la = a.logprobs().get(j);
        TokenLogprobs lt = t.logprobs().get(j);
        maxDiff = Math.max(maxDiff, Math.abs(la.logprob() - lt.logprob()));
      }
    }
    return new Result(name, deterministic, requests.size(), tokenMismatches, expertMismatches, maxDiff, largest[0]);
  }

  /** Requests of 5 to 40 ids, every third with an image, fixed by a seed. */
  private static List<GenerationRequest> requests(ModelInfo info) {
    SplittableRandom random = new SplittableRandom(2026);
    SamplingParams greedy = new SamplingParams(0, 1, 0, 1, TOKENS, List.of(), 0, 0, Map.of(), 2);
    List<GenerationRequest> requests = new ArrayList<>();
    for (int r = 0; r < REQUESTS; r++) {
      boolean image = r % 3 == 0;
      int text = 5 + r * 5;
      int imageTokens = image ? info.numImageTokens() : 0;
      int[] ids = new int[imageTokens + text];
      Arrays.fill(ids, 0, imageTokens, info.imageTokenId());
      for (int i = imageTokens; i < ids.length; i++) {
        int id = 3 + random.nextInt(info.vocabSize() - 3);
        ids[i] = id == info.imageTokenId() ? 3 : id;
      }
      float[] pixels = null;
      if (image) {
        pixels = new float[3 * info.imageSize() * info.imageSize()];
        for (int i = 0; i < pixels.length; i++) {
          pixels[i] = (float) (random.nextDouble() * 2 - 1);
        }
      }
      if (ids.length + TOKENS <= info.maxContext()) {
        requests.add(new GenerationRequest("batch-invariance-" + r, ids, pixels, greedy));
      }
    }
    return requests;
  }

  /** Runs {@code requests} submitted together; records the largest decoder batch in {@code largest[0]}. */
  private static List<GenerationResult> run(Backend backend, List<GenerationRequest> requests, boolean deterministic,
      int[] largest) {
    EngineConfig config = deterministic ? EngineConfig.deterministic(REQUESTS, REQUESTS)
        : new EngineConfig(REQUESTS, REQUESTS);
    EngineObserver observer = new EngineObserver() {
      @Override
      public void decoderCall(int batchSize, boolean prefill) {
        largest[0] = Math.max(largest[0], batchSize);
      }
    };
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(backend.info().vocabSize()),
        config, observer)) {
      List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
      for (GenerationRequest request : requests) {
        futures.add(engine.generate(request));
      }
      List<GenerationResult> results = new ArrayList<>();
      for (CompletableFuture<GenerationResult> future : futures) {
        results.add(future.get(10, TimeUnit.MINUTES));
      }
      return results;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MoeLlavaException("batch invariance check interrupted", MoeLlavaException.EXIT_FAILURE, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new MoeLlavaException("batch invariance check: a request failed: " + e.getMessage(),
          MoeLlavaException.EXIT_FAILURE, e);
    }
  }
}
