package org.moellava.serve.prompt;

/**
 * One message of a conversation, as the template needs it.
 *
 * @param role {@code system}, {@code user} or {@code assistant}
 * @param text the message's text (text parts joined)
 * @param hasImage whether the message carried the request's image
 */
public record ChatMessage(String role, String text, boolean hasImage) {}
