package org.moellava.serve.http;

import org.moellava.serve.engine.GeneratedToken;
import org.moellava.serve.engine.GenerationResult;

/**
 * One event of a request's stream, as {@link EventQueue} hands it from the scheduler thread to the HTTP
 * thread: per choice (the request's {@code n} generations), any number of {@link Token}s, then exactly one
 * {@link Finished} or {@link Failed}; {@code choice} says whose.
 *
 * <p>Java 17 has no pattern matching in {@code switch} (a preview until Java 21), so consumers test the three
 * records with {@code instanceof} patterns; the sealed {@code permits} clause guarantees there is no fourth.
 */
sealed interface GenerationEvent permits GenerationEvent.Token, GenerationEvent.Finished, GenerationEvent.Failed {

  /** Whether this event ends its choice's stream. */
  default boolean isLast() {
    return !(this instanceof Token);
  }

  /** The choice (0 to n - 1) the event belongs to. */
  int choice();

  /** A generated token. */
  record Token(int choice, GeneratedToken token) implements GenerationEvent {}

  /** The normal end: stop, length or cancelled. */
  record Finished(int choice, GenerationResult result) implements GenerationEvent {}

  /** The backend failed for this choice. */
  record Failed(int choice, RuntimeException error) implements GenerationEvent {}
}
