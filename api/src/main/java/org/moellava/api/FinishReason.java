package org.moellava.api;

/** Why a generation ended. */
public enum FinishReason {
  /** The model's end-of-sequence token or a stop string. */
  STOP,
  /** {@link GenerationParams#maxTokens()} or the model's context was reached. */
  LENGTH,
  /** The generation was cancelled ({@link PendingGeneration#cancel()}). */
  CANCELLED
}
