package org.moellava.serve.http;

import java.util.List;
import java.util.Map;
import org.moellava.serve.prompt.ChatMessage;
import org.moellava.serve.structured.SchemaSpec;

/**
 * A validated {@code /v1/chat/completions} body ({@link ChatField} lists every field and what is done with it).
 *
 * @param model the served name the answer carries (the first served name; the request's is checked against all)
 * @param messages the conversation (roles checked; {@code developer} is given as {@code system})
 * @param image the image: a data URL's bytes or an http(s) URL to fetch; null for none
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
 * @param n choices, 1..max n
 * @param frequencyPenalty [-2, 2]
 * @param presencePenalty [-2, 2]
 * @param logitBias token id to bias in [-100, 100], ids within the vocabulary
 * @param logprobs -1 without {@code logprobs}; else {@code top_logprobs} (0 when not given)
 * @param responseFormat the JSON value shape the output must have ({@code json_object}, {@code json_schema}); null
 *     for text
 */
record ChatRequest(
    String model,
    List<ChatMessage> messages,
    ImageInput image,
    double temperature,
    double topP,
    int topK,
    Integer maxTokens,
    String maxTokensParam,
    Long seed,
    List<String> stop,
    boolean stream,
    boolean includeUsage,
    boolean returnRoutedExperts,
    int n,
    double frequencyPenalty,
    double presencePenalty,
    Map<Integer, Double> logitBias,
    int logprobs,
    SchemaSpec responseFormat) {}
