package org.moellava.api;

import java.util.List;
import java.util.Objects;

/**
 * One generation to run: a conversation and its parameters. For {@link MoeLlava#submit} and
 * {@link MoeLlava#generateAll}.
 *
 * @param messages the conversation, ending with a user message; at most one message has an image
 * @param params how to generate
 */
public record Request(List<Message> messages, GenerationParams params) {
  /**
   * Checks the request.
   *
   *
   * @param messages see {@link #messages()}
   * @param params see {@link #params()}
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if there is no message
   */
  public Request {
    messages = List.copyOf(messages);
    Objects.requireNonNull(params, "params");
    if (messages.isEmpty()) throw new IllegalArgumentException("a request needs at least one message");
  }

  /**
   * A single question, about an image or (with a null image) text only.
   *
   * @param image the image, or null
   * @param prompt the question
   * @param params how to generate
   * @return the request
   */
  public static Request of(Image image, String prompt, GenerationParams params) {
    return new Request(List.of(Message.user(prompt, image)), params);
  }
}
