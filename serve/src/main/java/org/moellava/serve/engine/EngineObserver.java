package org.moellava.serve.engine;

/** Hooks for metrics; called from the scheduler thread. Every method defaults to doing nothing. */
public interface EngineObserver {
  /** A decoder call ran on {@code batchSize} sequences ({@code prefill}: a new prompt of one sequence). */
  default void decoderCall(int batchSize, boolean prefill) {}

  /** Prompt tokens processed. */
  default void promptTokens(int count) {}

  /** A prompt of {@code promptTokens} took {@code cachedTokens} of them from the prefix cache (0: a miss). */
  default void prefixCacheLookup(int promptTokens, int cachedTokens) {}

  /** One token was generated. */
  default void tokenGenerated() {}

  /** Time from submission to the first token of a request. */
  default void firstToken(long nanos) {}

  /** Tokens routed to each expert of decoder layer {@code layer} in one decoder call (k per token). */
  default void expertLoad(int layer, long[] tokensPerExpert) {}

  /** An observer that ignores everything. */
  EngineObserver NONE = new EngineObserver() {};
}
