package org.moellava.api;

import org.moellava.error.MoeLlavaException;

/**
 * A generation failed after it was accepted: the backend failed on it, the model was closed, or the waiting
 * thread was interrupted. The cause is the original error. Other generations running beside it go on.
 */
public class GenerationException extends MoeLlavaException {
  /**
   * A failure with its cause.
   *
   * @param message one line naming what failed
   * @param cause the original error
   */
  public GenerationException(String message, Throwable cause) {
    super(message, EXIT_FAILURE, cause);
  }
}
