package org.moellava.serve.engine;

/** Why a generation ended. */
public enum FinishReason {
  /** End-of-sequence token or a stop string. */
  STOP("stop"),
  /** {@code max_tokens} or the model's context was reached. */
  LENGTH("length"),
  /** The client cancelled (or disconnected). */
  CANCELLED("cancelled");

  private final String openAiName;

  FinishReason(String openAiName) {
    this.openAiName = openAiName;
  }

  /** The {@code finish_reason} string of the OpenAI API. */
  public String openAiName() {
    return openAiName;
  }
}
