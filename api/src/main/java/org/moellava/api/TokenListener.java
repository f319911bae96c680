package org.moellava.api;

/**
 * Receives the tokens of one generation as they are made. Calls come from the model's engine thread, in order;
 * keep them short and never block, for every sequence in the batch waits. A listener that throws cancels its own
 * generation.
 */
@FunctionalInterface
public interface TokenListener {
  /**
   * A new token.
   *
   * @param token the token
   */
  void onToken(Token token);
}
