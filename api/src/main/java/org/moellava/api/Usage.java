package org.moellava.api;

/**
 * Token counts of one generation.
 *
 * @param promptTokens tokens of the rendered prompt, the image's tokens included
 * @param completionTokens tokens generated, a final end-of-sequence token included
 */
public record Usage(int promptTokens, int completionTokens) {
  /**
   * Prompt plus completion tokens.
   *
   * @return the total
   */
  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
