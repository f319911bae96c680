package org.moellava.serve.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.moellava.runtime.ModelInfo;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;

/**
 * The server's Prometheus metrics:
 *
 * <ul>
 *   <li>{@code moellava_request_latency_seconds} histogram, tagged {@code status};
 *   <li>{@code moellava_time_to_first_token_seconds} histogram;
 *   <li>{@code moellava_generated_tokens_total} and {@code moellava_prompt_tokens_total} counters (tokens/s
 *       is their {@code rate()});
 *   <li>{@code moellava_prefix_cache_queries_total} and {@code moellava_prefix_cache_hits_total} counters: prompt
 *       tokens looked up in the prefix cache and found there (vLLM's {@code prefix_cache_queries/hits}; the hit rate
 *       is their ratio; {@code moellava_prompt_tokens_total} counts the prompt tokens computed);
 *   <li>{@code moellava_queue_depth} and {@code moellava_active_sequences} gauges;
 *   <li>{@code moellava_batch_size} histogram of decoder calls, tagged {@code phase} (prefill, decode);
 *   <li>{@code moellava_expert_tokens_total} counter tagged {@code layer} and {@code expert}: expert load;
 *   <li>{@code moellava_open_connections} and {@code moellava_pending_bodies} gauges, and
 *       {@code moellava_slow_bodies_total} tagged {@code outcome} (timed_out: 408 for the minimum rate; shed: 408 to
 *       make room; refused: 503, no room): what slow clients get ({@link ServerOptions.ClientLimits}).
 * </ul>
 */
public final class ServerMetrics implements EngineObserver {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer timeToFirstToken;
  private final Counter generatedTokens;
  private final Counter promptTokens;
  private final Counter prefixQueries;
  private final Counter prefixHits;
  private final DistributionSummary prefillBatch;
  private final DistributionSummary decodeBatch;
  private final Counter[][] expertTokens; // [moe ordinal][expert]
  private final int[] moeOrdinalOfLayer;

  public ServerMetrics(ModelInfo info) {
    timeToFirstToken = Timer.builder("moellava.time.to.first.token")
        .description("time from request to first generated token").publishPercentileHistogram()
        .maximumExpectedValue(Duration.ofMinutes(2)).register(registry);
    generatedTokens = Counter.builder("moellava.generated.tokens").description("generated tokens").register(registry);
    promptTokens = Counter.builder("moellava.prompt.tokens").description("prompt tokens computed").register(registry);
    prefixQueries = Counter.builder("moellava.prefix.cache.queries")
        .description("prompt tokens looked up in the prefix cache").register(registry);
    prefixHits = Counter.builder("moellava.prefix.cache.hits")
        .description("prompt tokens found in the prefix cache").register(registry);
    prefillBatch = batchSummary("prefill");
    decodeBatch = batchSummary("decode");
    moeOrdinalOfLayer = new int[info.numLayers()];
    java.util.Arrays.fill(moeOrdinalOfLayer, -1);
    expertTokens = new Counter[info.moeLayers().size()][info.numExperts()];
    for (int j = 0; j < info.moeLayers().size(); j++) {
      int layer = info.moeLayers().get(j);
      moeOrdinalOfLayer[layer] = j;
      for (int e = 0; e < info.numExperts(); e++) {
        expertTokens[j][e] = Counter.builder("moellava.expert.tokens")
            .description("tokens routed to an expert (each token counts at its k experts)")
            .tag("layer", Integer.toString(layer)).tag("expert", Integer.toString(e)).register(registry);
      }
    }
  }

  /** Registers the queue and slot gauges of {@code engine}. */
  public void bind(GenerationEngine engine) {
    Gauge.builder("moellava.queue.depth", engine, GenerationEngine::queueDepth)
        .description("requests waiting for a slot").register(registry);
    Gauge.builder("moellava.active.sequences", engine, GenerationEngine::activeCount)
        .description("sequences being generated").register(registry);
  }

  /** Registers the gauges and counters of slow or numerous clients (issue 18). */
  void bindClientLimits(OpenConnections connections, BoundedBody bodies) {
    Gauge.builder("moellava.open.connections", connections, OpenConnections::count)
        .description("open HTTP connections").register(registry);
    Gauge.builder("moellava.pending.bodies", bodies, BoundedBody::pendingCount)
        .description("request bodies still arriving").register(registry);
    FunctionCounter.builder("moellava.slow.bodies", bodies, BoundedBody::timedOut)
        .description("request bodies ended for their clients' slowness or for the limits").tag("outcome", "timed_out")
        .register(registry);
    FunctionCounter.builder("moellava.slow.bodies", bodies, BoundedBody::shed)
        .description("request bodies ended for their clients' slowness or for the limits").tag("outcome", "shed")
        .register(registry);
    FunctionCounter.builder("moellava.slow.bodies", bodies, BoundedBody::refused)
        .description("request bodies ended for their clients' slowness or for the limits").tag("outcome", "refused")
        .register(registry);
  }

  /** Records one finished HTTP request. */
  public void request(String status, long nanos) {
    Timer.builder("moellava.request.latency").description("chat completion latency").tag("status", status)
        .publishPercentileHistogram().maximumExpectedValue(Duration.ofMinutes(10)).register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void decoderCall(int batchSize, boolean prefill) {
    (prefill ? prefillBatch : decodeBatch).record(batchSize);
  }

  @Override
  public void promptTokens(int count) {
    promptTokens.increment(count);
  }

  @Override
  public void prefixCacheLookup(int promptTokenCount, int cachedTokens) {
    prefixQueries.increment(promptTokenCount);
    prefixHits.increment(cachedTokens);
  }

  @Override
  public void tokenGenerated() {
    generatedTokens.increment();
  }

  @Override
  public void firstToken(long nanos) {
    timeToFirstToken.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void expertLoad(int layer, long[] tokensPerExpert) {
    int j = moeOrdinalOfLayer[layer];
    for (int e = 0; e < tokensPerExpert.length; e++) {
      if (tokensPerExpert[e] > 0) {
        expertTokens[j][e].increment(tokensPerExpert[e]);
      }
    }
  }

  private DistributionSummary batchSummary(String phase) {
    return DistributionSummary.builder("moellava.batch.size").description("sequences per decoder call")
        .tag("phase", phase).serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
  }
}
