package org.moellava.train;

import org.moellava.error.MoeLlavaException;

/** A non-finite loss or gradient stopped the run; nothing of that step was applied or saved. */
public final class TrainingDivergedException extends MoeLlavaException {
  public TrainingDivergedException(String message) {
    super(message, EXIT_FAILURE);
  }
}
