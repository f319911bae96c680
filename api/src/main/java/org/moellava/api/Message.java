package org.moellava.api;

import org.moellava.error.InvalidInputException;

import java.util.Objects;

/**
 * One turn of a conversation for {@link MoeLlava#chat}. The model's chat template renders it; a conversation
 * holds at most one image, on a user message.
 *
 * @param role who speaks
 * @param text what is said
 * @param image the image this user message shows, or null
 */
public record Message(Role role, String text, Image image) {
  /** Who speaks. */
  public enum Role {
    /** Replaces the model's default system prompt. */
    SYSTEM,
    /** The user; the conversation must end with a user message. */
    USER,
    /** An earlier answer of the model. */
    ASSISTANT
  }

  /**
   * Checks the message.
   *
   *
   * @param role see {@link #role()}
   * @param text see {@link #text()}
   * @param image see {@link #image()}
   * @throws NullPointerException if {@code role} or {@code text} is null
   * @throws InvalidInputException if a message other than a user message has an image
   */
  public Message {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(text, "text");
    if (image != null && role != Role.USER) {
      throw new InvalidInputException("only user messages may carry an image, not " + role + " messages");
    }
  }

  /**
   * A system message.
   *
   * @param text the system prompt
   * @return the message
   */
  public static Message system(String text) {
    return new Message(Role.SYSTEM, text, null);
  }

  /**
   * A user message without image.
   *
   * @param text the question
   * @return the message
   */
  public static Message user(String text) {
    return new Message(Role.USER, text, null);
  }

  /**
   * A user message showing an image.
   *
   * @param text the question
   * @param image the image, or null
   * @return the message
   */
  public static Message user(String text, Image image) {
    return new Message(Role.USER, text, image);
  }

  /**
   * An earlier answer of the model.
   *
   * @param text the answer
   * @return the message
   */
  public static Message assistant(String text) {
    return new Message(Role.ASSISTANT, text, null);
  }
}
