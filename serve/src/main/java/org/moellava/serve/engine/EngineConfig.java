package org.moellava.serve.engine;

import org.moellava.error.InvalidInputException;

/**
 * Scheduler limits.
 *
 * @param maxBatch most sequences decoded together; each holds a KV cache slot of the full context
 * @param maxQueue most requests waiting for a slot; one more is rejected with {@link EngineBusyException}
 */
public record EngineConfig(int maxBatch, int maxQueue) {
  public EngineConfig {
    if (maxBatch < 1) {
      throw new InvalidInputException("max batch must be >= 1, got " + maxBatch);
    }
    if (maxQueue < 1) {
      throw new InvalidInputException("queue size must be >= 1, got " + maxQueue);
    }
  }
}
