package org.moellava.serve.http;

import java.util.List;
import org.moellava.serve.prompt.ChatMessage;

/**
 * A validated {@code /v1/chat/completions} body.
 *
 * @param messages the conversation (roles checked)
 * @param image the encoded image from a data URL, or null
 * @param temperature 0..2 (default 1)
 * @param topP (0, 1] (default 1)
 * @param topK 0 for off (extension)
 * @param maxTokens null when not given
 * @param maxTokensParam the parameter that gave it: {@code max_tokens} or {@code max_completion_tokens}
 * @param seed null when not given
 * @param stop stop strings (at most 4)
 * @param stream whether to answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}
 * @param returnRoutedExperts extension: the experts each generated token used
 */
record ChatRequest(
    List<ChatMessage> messages,
    byte[] image,
    double temperature,
    double topP,
    int topK,
    Integer maxTokens,
    String maxTokensParam,
    Long seed,
    List<String> stop,
    boolean stream,
    boolean includeUsage,
    boolean returnRoutedExperts) {}
