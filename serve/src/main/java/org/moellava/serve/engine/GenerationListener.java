package org.moellava.serve.engine;

/**
 * Receives one request's tokens as they are generated. Calls come from the engine's scheduler thread (a
 * request cancelled while still queued completes on the cancelling thread); keep them short and never block,
 * for they hold up every sequence in the batch. Exactly one of {@link #onFinish} and {@link #onError} ends
 * the stream. A listener that throws cancels its own request.
 */
public interface GenerationListener {
  /** A new token. */
  void onToken(GeneratedToken token);

  /** Normal end (stop, length or cancelled). */
  void onFinish(GenerationResult result);

  /** The backend failed for this request; other requests go on. */
  void onError(RuntimeException error);
}
