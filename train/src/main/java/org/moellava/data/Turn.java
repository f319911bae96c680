package org.moellava.data;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One conversation turn in LLaVA format.
 *
 * @param from {@code human} or {@code gpt}
 * @param value the text; the first human turn of an image entry contains {@code <image>}
 */
public record Turn(@JsonProperty("from") String from, @JsonProperty("value") String value) {
  /** Speaker of questions. */
  public static final String HUMAN = "human";
  /** Speaker of answers. */
  public static final String GPT = "gpt";
  /** The image placeholder in text. */
  public static final String IMAGE_PLACEHOLDER = "<image>";

  /** A human turn. */
  public static Turn human(String value) {
    return new Turn(HUMAN, value);
  }

  /** A gpt turn. */
  public static Turn gpt(String value) {
    return new Turn(GPT, value);
  }
}
