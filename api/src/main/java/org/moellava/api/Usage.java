package org.moellava.api;

/**
 * Token counts of one generation.
 *
 * @param promptTokens tokens of the rendered prompt, the image's tokens included
 * @param completionTokens tokens generated, a final end-of-sequence token included
 * @param cachedPromptTokens prompt tokens whose keys and values came from the prefix cache (see
 *     {@link Options#prefixCacheBytes()}), not computed again
 */
public record Usage(int promptTokens, int completionTokens, int cachedPromptTokens) {
  /**
   * Counts without cached prompt tokens.
   *
   * @param promptTokens see {@link #promptTokens()}
   * @param completionTokens see {@link #completionTokens()}
   */
  public Usage(int promptTokens, int completionTokens) {
    this(promptTokens, completionTokens, 0);
  }

  /**
   * Prompt plus completion tokens.
   *
   * @return the total
   */
  public int totalTokens() {
    return promptTokens + completionTokens;
  }
}
