package org.moellava.serve.engine;

/** Lets the submitter cancel its request, e.g. when the HTTP client disconnects. */
public interface GenerationHandle {
  /** Cancels the request: a queued one leaves the queue, a running one frees its slot before the next step. */
  void cancel();

  /** Whether {@link #cancel()} was called. */
  boolean isCancelled();
}
