package org.moellava.api;

import java.util.concurrent.CompletableFuture;

/**
 * A generation submitted with {@link MoeLlava#submit}: its future result and a way to cancel it.
 */
public interface PendingGeneration {
  /**
   * The result. It completes normally (also when cancelled: {@link FinishReason#CANCELLED}) or exceptionally
   * with a {@link GenerationException}.
   *
   * @return the future result
   */
  CompletableFuture<Generation> result();

  /**
   * Waits for the result.
   *
   * @return the generation
   * @throws GenerationException if it failed, or if the waiting thread was interrupted (the generation is then
   *     cancelled and the thread's interrupt flag set again)
   */
  Generation await();

  /** Cancels the generation: a queued one leaves the queue, a running one stops before its next token. */
  void cancel();
}
