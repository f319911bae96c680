package org.moellava.serve.engine;

/**
 * Restricts the tokens one sequence may generate (structured output). The sampler asks it before each token and
 * tells it the token chosen; it is used by the scheduler thread only.
 */
public interface TokenConstraint {
  /**
   * Sets {@code allowed[id]} for each of the {@code allowed.length} token ids that may come next (end-of-sequence only
   * when the output may end here) and clears the others.
   *
   * @return how many are allowed; 0 means no token can continue the output
   */
  int allowed(boolean[] allowed);

  /** Whether {@code token} may come next (the same answer as {@link #allowed}, for one token). */
  boolean allows(int token);

  /** {@code token}, which {@link #allows}, was generated. */
  void accept(int token);

  /** Makes a fresh {@link TokenConstraint} for each sequence of a request (each choice of {@code n} has its own). */
  @FunctionalInterface
  interface Factory {
    TokenConstraint start();
  }
}
