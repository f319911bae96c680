package org.moellava.serve.engine;

import org.moellava.error.InvalidInputException;

/**
 * A request whose prompt plus {@code max_tokens} does not fit the model's context (its max positions). Thrown
 * by {@link GenerationEngine#submit}, the one place the limit is checked; the HTTP server answers it with a 400
 * {@code context_length_exceeded} naming the messages when the prompt alone fills the context, else max_tokens.
 */
public final class ContextLengthExceededException extends InvalidInputException {
  private final int promptTokens;
  private final int maxTokens;
  private final int maxContext;

  ContextLengthExceededException(int promptTokens, int maxTokens, int maxContext) {
    super(message(promptTokens, maxTokens, maxContext));
    this.promptTokens = promptTokens;
    this.maxTokens = maxTokens;
    this.maxContext = maxContext;
  }

  /** Prompt length in tokens. */
  public int promptTokens() {
    return promptTokens;
  }

  /** The requested {@code max_tokens}. */
  public int maxTokens() {
    return maxTokens;
  }

  /** The model's context in tokens (prompt plus answer). */
  public int maxContext() {
    return maxContext;
  }

  /** Whether the prompt alone leaves no room for even one generated token. */
  public boolean promptFillsContext() {
    return promptTokens >= maxContext;
  }

  private static String message(int promptTokens, int maxTokens, int maxContext) {
    if (promptTokens >= maxContext) {
      return "prompt is " + promptTokens + " tokens, the model context holds " + maxContext
          + " tokens including the answer";
    }
    return "prompt of " + promptTokens + " tokens plus max_tokens " + maxTokens + " exceeds the model context of "
        + maxContext + " tokens";
  }
}
