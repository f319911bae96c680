package org.moellava.serve.http;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every field a {@code /v1/chat/completions} request may carry, and what the server does with it: the one list of
 * them. {@link ChatRequestParser} refuses any field not listed here with a 400 naming it ({@code unknown_parameter},
 * as OpenAI does), refuses a {@link Handling#REFUSED} field given a value, and reads the others; the table in
 * docs/serving.md is checked against this list ({@code ChatFieldTableTest}). A JSON {@code null} is the same as an
 * absent field.
 *
 * <p>The fields are those of OpenAI's Chat Completions API reference (the request body of
 * {@code POST /v1/chat/completions}), plus this server's extensions.
 */
enum ChatField {
  // top level: honoured
  MESSAGES(Scope.REQUEST, "messages", Handling.HONOURED, "the conversation (see the message fields)"),
  MODEL(Scope.REQUEST, "model", Handling.HONOURED,
      "must be one of the served names (`--served-model-name`), else 404 `model_not_found`; absent: the first name"),
  MAX_TOKENS(Scope.REQUEST, "max_tokens", Handling.HONOURED,
      "most tokens to generate (default `min(256, context left)`)"),
  MAX_COMPLETION_TOKENS(Scope.REQUEST, "max_completion_tokens", Handling.HONOURED,
      "the same as `max_tokens`; both given and different: 400"),
  TEMPERATURE(Scope.REQUEST, "temperature", Handling.HONOURED, "[0, 2], default 1; 0 is greedy"),
  TOP_P(Scope.REQUEST, "top_p", Handling.HONOURED, "(0, 1], default 1"),
  N(Scope.REQUEST, "n", Handling.HONOURED,
      "choices, 1 to `--max-n` (default 4); choice i is sampled with seed `seed + i`"),
  STOP(Scope.REQUEST, "stop", Handling.HONOURED, "a string or up to 4 strings; the text is cut before the first"),
  SEED(Scope.REQUEST, "seed", Handling.HONOURED, "the same seed and parameters give the same tokens"),
  STREAM(Scope.REQUEST, "stream", Handling.HONOURED, "server-sent events ending with `data: [DONE]`"),
  STREAM_OPTIONS(Scope.REQUEST, "stream_options", Handling.HONOURED,
      "only with `stream: true` (else 400); see its fields"),
  FREQUENCY_PENALTY(Scope.REQUEST, "frequency_penalty", Handling.HONOURED,
      "[-2, 2]: `logit[j] -= count[j] * frequency_penalty`, count over the tokens generated so far"),
  PRESENCE_PENALTY(Scope.REQUEST, "presence_penalty", Handling.HONOURED,
      "[-2, 2]: `logit[j] -= presence_penalty` once token j was generated"),
  LOGIT_BIAS(Scope.REQUEST, "logit_bias", Handling.HONOURED,
      "token id (a string) to a bias in [-100, 100] added to its logit; an id outside the vocabulary (or the image "
          + "placeholder): 400"),
  LOGPROBS(Scope.REQUEST, "logprobs", Handling.HONOURED,
      "each generated token's log probability in `choices[].logprobs.content` (also in stream chunks)"),
  TOP_LOGPROBS(Scope.REQUEST, "top_logprobs", Handling.HONOURED,
      "0 to 20 most likely tokens at each position; needs `logprobs: true`"),
  // top level: accepted only with the value that asks for what the server does anyway
  RESPONSE_FORMAT(Scope.REQUEST, "response_format", Handling.HONOURED,
      "`text`, `json_object` (any JSON object) or `json_schema` (a supported JSON Schema subset; other keywords: 400 "
          + "naming them): constrained decoding, see [Structured output](#structured-output)"),
  MODALITIES(Scope.REQUEST, "modalities", Handling.DEFAULT_ONLY, "`[\"text\"]` only; audio output: 400"),
  // top level: accepted and ignored by design
  USER(Scope.REQUEST, "user", Handling.IGNORED, "an end-user id for OpenAI's abuse monitoring; nothing is tracked",
      JsonKind.STRING),
  SAFETY_IDENTIFIER(Scope.REQUEST, "safety_identifier", Handling.IGNORED, "as `user`", JsonKind.STRING),
  METADATA(Scope.REQUEST, "metadata", Handling.IGNORED, "tags for stored completions; nothing is stored",
      JsonKind.OBJECT),
  STORE(Scope.REQUEST, "store", Handling.IGNORED,
      "nothing is stored (there is no stored-completions API here)", JsonKind.BOOLEAN),
  SERVICE_TIER(Scope.REQUEST, "service_tier", Handling.IGNORED, "one tier: every request is served alike",
      JsonKind.STRING),
  PROMPT_CACHE_KEY(Scope.REQUEST, "prompt_cache_key", Handling.IGNORED, "no prompt cache", JsonKind.STRING),
  PROMPT_CACHE_RETENTION(Scope.REQUEST, "prompt_cache_retention", Handling.IGNORED, "no prompt cache",
      JsonKind.STRING),
  // top level: refused
  TOOLS(Scope.REQUEST, "tools", Handling.REFUSED, "tool calling is not supported"),
  TOOL_CHOICE(Scope.REQUEST, "tool_choice", Handling.REFUSED, "tool calling is not supported"),
  PARALLEL_TOOL_CALLS(Scope.REQUEST, "parallel_tool_calls", Handling.REFUSED, "tool calling is not supported"),
  FUNCTIONS(Scope.REQUEST, "functions", Handling.REFUSED, "function calling is not supported"),
  FUNCTION_CALL(Scope.REQUEST, "function_call", Handling.REFUSED, "function calling is not supported"),
  AUDIO(Scope.REQUEST, "audio", Handling.REFUSED, "audio output is not supported"),
  PREDICTION(Scope.REQUEST, "prediction", Handling.REFUSED, "predicted outputs are not supported"),
  WEB_SEARCH_OPTIONS(Scope.REQUEST, "web_search_options", Handling.REFUSED, "web search is not supported"),
  REASONING_EFFORT(Scope.REQUEST, "reasoning_effort", Handling.REFUSED, "the model is not a reasoning model"),
  VERBOSITY(Scope.REQUEST, "verbosity", Handling.REFUSED, "response verbosity cannot be constrained"),
  // top level: this server's extensions
  TOP_K(Scope.REQUEST, "top_k", Handling.EXTENSION, "keep the k most likely tokens; 0 or -1: off (vLLM's)"),
  RETURN_ROUTED_EXPERTS(Scope.REQUEST, "return_routed_experts", Handling.EXTENSION,
      "the experts each generated token was routed to (`routed_experts`, `moe_layers`)"),
  // stream_options
  INCLUDE_USAGE(Scope.STREAM_OPTIONS, "include_usage", Handling.HONOURED,
      "a last chunk with empty `choices` and the usage (completion tokens of all choices)"),
  INCLUDE_OBFUSCATION(Scope.STREAM_OPTIONS, "include_obfuscation", Handling.IGNORED,
      "no obfuscation padding is added to chunks", JsonKind.BOOLEAN),
  // a message
  ROLE(Scope.MESSAGE, "role", Handling.HONOURED,
      "`system`, `developer` (the same as `system`), `user`, `assistant`; `tool` and `function`: 400"),
  CONTENT(Scope.MESSAGE, "content", Handling.HONOURED,
      "a string or parts: `text`, `image_url` (a `data:` URL; an http(s) URL with `--allow-image-urls`, else "
          + "400; `detail` is ignored); other part types: 400"),
  NAME(Scope.MESSAGE, "name", Handling.IGNORED, "the chat template has no participant names", JsonKind.STRING),
  REFUSAL(Scope.MESSAGE, "refusal", Handling.IGNORED, "an earlier assistant refusal; not put in the prompt",
      JsonKind.STRING),
  TOOL_CALLS(Scope.MESSAGE, "tool_calls", Handling.REFUSED, "tool calling is not supported"),
  TOOL_CALL_ID(Scope.MESSAGE, "tool_call_id", Handling.REFUSED, "tool calling is not supported"),
  MESSAGE_FUNCTION_CALL(Scope.MESSAGE, "function_call", Handling.REFUSED, "function calling is not supported"),
  MESSAGE_AUDIO(Scope.MESSAGE, "audio", Handling.REFUSED, "audio is not supported");

  /** Where a field is. */
  enum Scope {
    /** The request body's top level. */
    REQUEST(""),
    /** Inside {@code stream_options}. */
    STREAM_OPTIONS("stream_options."),
    /** Inside each of {@code messages}. */
    MESSAGE("messages[].");

    private final String prefix;

    Scope(String prefix) {
      this.prefix = prefix;
    }
  }

  /** What the server does with a field. */
  enum Handling {
    /** Read and acted on. */
    HONOURED("honoured"),
    /** Accepted only with the value that asks for what the server does anyway; any other value: 400. */
    DEFAULT_ONLY("default value only"),
    /** Accepted (its type checked) and ignored by design. */
    IGNORED("ignored by design"),
    /** Any value but null: 400 naming the field ({@code unsupported_parameter}). */
    REFUSED("refused"),
    /** Not in OpenAI's API: this server's own. */
    EXTENSION("extension");

    private final String label;

    Handling(String label) {
      this.label = label;
    }

    /** As docs/serving.md writes it. */
    String label() {
      return label;
    }
  }

  /** The JSON type an ignored field must have. */
  enum JsonKind { STRING, BOOLEAN, OBJECT, ANY }

  private static final Map<String, ChatField> BY_PATH = Arrays.stream(values())
      .collect(Collectors.toUnmodifiableMap(ChatField::path, Function.identity()));

  private final Scope scope;
  private final String key;
  private final Handling handling;
  private final String note;
  private final JsonKind kind;

  ChatField(Scope scope, String key, Handling handling, String note) {
    this(scope, key, handling, note, JsonKind.ANY);
  }

  ChatField(Scope scope, String key, Handling handling, String note, JsonKind kind) {
    this.scope = scope;
    this.key = key;
    this.handling = handling;
    this.note = note;
    this.kind = kind;
  }

  /** The field named {@code key} in {@code scope}, or null for a field the server does not know. */
  static ChatField find(Scope scope, String key) {
    return BY_PATH.get(scope.prefix + key);
  }

  /** The field's path as the docs show it: {@code n}, {@code stream_options.include_usage}, {@code messages[].name}. */
  String path() {
    return scope.prefix + key;
  }

  String key() {
    return key;
  }

  Scope scope() {
    return scope;
  }

  Handling handling() {
    return handling;
  }

  /** What the server does with it, or why it is refused. */
  String note() {
    return note;
  }

  /** The JSON type an ignored field must have. */
  JsonKind kind() {
    return kind;
  }
}
