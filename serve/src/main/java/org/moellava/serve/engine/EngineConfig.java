package org.moellava.serve.engine;

import org.moellava.error.InvalidInputException;

/**
 * Scheduler limits.
 *
 * @param maxBatch most sequences decoded together; each holds a KV cache slot of the full context
 * @param maxQueue most requests waiting for a slot; one more is rejected with {@link EngineBusyException}
 * @param prefixCacheBytes memory for {@linkplain PrefixCache prefix caching}: the keys and values of prompt blocks
 *     kept for later prompts that start the same way; 0 turns it off
 */
public record EngineConfig(int maxBatch, int maxQueue, long prefixCacheBytes) {
  /** The serving default of {@link #prefixCacheBytes()}: 1 GiB. */
  public static final long DEFAULT_PREFIX_CACHE_BYTES = 1L << 30;

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
  }

  /** Limits without prefix caching. */
  public EngineConfig(int maxBatch, int maxQueue) {
    this(maxBatch, maxQueue, 0);
  }

  /** The same limits with {@code bytes} of prefix cache (0: off). */
  public EngineConfig withPrefixCacheBytes(long bytes) {
    return new EngineConfig(maxBatch, maxQueue, bytes);
  }
}
