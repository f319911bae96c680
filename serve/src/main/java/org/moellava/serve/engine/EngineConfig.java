package org.moellava.serve.engine;

import org.moellava.error.InvalidInputException;

/**
 * Scheduler limits.
 *
 * @param maxBatch most sequences decoded together; each holds a KV cache slot of the full context
 * @param maxQueue most requests waiting for a slot; one more is rejected with {@link EngineBusyException}
 * @param prefixCacheBytes memory for {@linkplain PrefixCache prefix caching}: the keys and values of prompt blocks
 *     kept for later prompts that start the same way; 0 turns it off
 * @param prefillChunkTokens chunked prefill: a prompt with more positions left to compute than this is prefilled
 *     this many at a time, one chunk between two decode steps of the running sequences, so a long arrival does not
 *     stall them (an image's tokens stay in one chunk); 0 prefills every prompt at once
 * @param deterministic batch invariance: every decoder call holds one sequence (its prompt whole, then each of its
 *     decode steps alone), so a request's tokens, log probabilities and routed experts are bit-identical whatever
 *     else runs, at the cost of batching's throughput; needs prefix caching and chunked prefill off (they change
 *     how a prompt is split into calls, so its numbers would depend on earlier requests)
 */
public record EngineConfig(int maxBatch, int maxQueue, long prefixCacheBytes, int prefillChunkTokens,
    boolean deterministic) {
  /** The serving default of {@link #prefixCacheBytes()}: 1 GiB. */
  public static final long DEFAULT_PREFIX_CACHE_BYTES = 1L << 30;
  /** The serving default of {@link #prefillChunkTokens()}. */
  public static final int DEFAULT_PREFILL_CHUNK_TOKENS = 128;

  public EngineConfig {
    if (maxBatch < 1) {
      throw new InvalidInputException("max batch must be >= 1, got " + maxBatch);
    }
    if (maxQueue < 1) {
      throw new InvalidInputException("queue size must be >= 1, got " + maxQueue);
    }
    if (prefixCacheBytes < 0) {
      throw new InvalidInputException("prefix cache size must be >= 0, got " + prefixCacheBytes);
    }
    if (prefillChunkTokens < 0) {
      throw new InvalidInputException("prefill chunk must be >= 0 tokens (0: off), got " + prefillChunkTokens);
    }
    if (deterministic && (prefixCacheBytes > 0 || prefillChunkTokens > 0)) {
      throw new InvalidInputException("deterministic (batch-invariant) serving needs prefix caching and chunked "
          + "prefill off: they split prompts into calls by what came before (prefix cache " + prefixCacheBytes
          + " bytes, prefill chunk " + prefillChunkTokens + ")");
    }
  }

  /** Limits with prefix caching and chunked prefill as given, batched (not deterministic). */
  public EngineConfig(int maxBatch, int maxQueue, long prefixCacheBytes, int prefillChunkTokens) {
    this(maxBatch, maxQueue, prefixCacheBytes, prefillChunkTokens, false);
  }

  /** Deterministic (batch-invariant) limits: one sequence per decoder call, no prefix cache, no chunks. */
  public static EngineConfig deterministic(int maxBatch, int maxQueue) {
    return new EngineConfig(maxBatch, maxQueue, 0, 0, true);
  }

  /** Limits without prefix caching or chunked prefill. */
  public EngineConfig(int maxBatch, int maxQueue) {
    this(maxBatch, maxQueue, 0, 0);
  }

  /** Limits with {@code prefixCacheBytes} of prefix cache (0: off), without chunked prefill. */
  public EngineConfig(int maxBatch, int maxQueue, long prefixCacheBytes) {
    this(maxBatch, maxQueue, prefixCacheBytes, 0);
  }

  /** The same limits with {@code bytes} of prefix cache (0: off). */
  public EngineConfig withPrefixCacheBytes(long bytes) {
    return new EngineConfig(maxBatch, maxQueue, bytes, prefillChunkTokens, deterministic);
  }

  /** The same limits with prefill chunks of {@code tokens} (0: off). */
  public EngineConfig withPrefillChunkTokens(int tokens) {
    return new EngineConfig(maxBatch, maxQueue, prefixCacheBytes, tokens, deterministic);
  }
}
