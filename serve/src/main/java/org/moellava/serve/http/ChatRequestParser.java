package org.moellava.serve.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.serve.prompt.ChatMessage;
import org.moellava.serve.structured.SchemaCompiler;
import org.moellava.serve.structured.SchemaException;
import org.moellava.serve.structured.SchemaSpec;

/**
 * Parses and checks a {@code /v1/chat/completions} body; every problem becomes a 400 {@link ApiException}
 * naming the offending parameter. Every field is looked up in {@link ChatField}: one it does not list is refused
 * ({@code unknown_parameter}, as OpenAI does), a refused one given a value is refused
 * ({@code unsupported_parameter}), an ignored one has its type checked; JSON nulls count as absent. A {@code model}
 * that is not a served name is a 404 {@code model_not_found}.
 */
final class ChatRequestParser {
  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");
  private static final int MAX_STOP_STRINGS = 4;

  private static final int MAX_URL_LENGTH = 8192;

  private final int maxImageBytes;
  private final boolean imageUrlsAllowed;
  private final List<String> servedNames;
  private final int maxN;
  private final int vocabSize;
  private final int imageTokenId;

  /**
   * @param servedNames the names {@code model} may give, the first the default
   * @param maxN the largest {@code n}
   * @param vocabSize the model's vocabulary, for {@code logit_bias} ids
   * @param imageTokenId the image placeholder, which {@code logit_bias} may not name
   * @param imageUrlsAllowed whether {@code http(s)} image URLs are taken (to be fetched), else refused
   */
  ChatRequestParser(int maxImageBytes, List<String> servedNames, int maxN, int vocabSize, int imageTokenId,
      boolean imageUrlsAllowed) {
    this.maxImageBytes = maxImageBytes;
    this.imageUrlsAllowed = imageUrlsAllowed;
    this.servedNames = List.copyOf(servedNames);
    this.maxN = maxN;
    this.vocabSize = vocabSize;
    this.imageTokenId = imageTokenId;
  }

  ChatRequest parse(byte[] body) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (JacksonException e) {
      throw ApiException.invalid(null, "invalid_json",
          "request body is not valid JSON: " + oneLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw ApiException.invalid(null, "invalid_json", "request body could not be read");
    }
    if (root == null || !root.isObject()) {
      throw ApiException.invalid(null, "invalid_json", "request body must be a JSON object");
    }
    checkFields(root, ChatField.Scope.REQUEST, "");
    String model = model(root);
    int n = n(root);
    List<ImageInput> images = new ArrayList<>();
    List<ChatMessage> messages = messages(root, images);
    Integer maxTokens = optionalInt(root, "max_tokens");
    Integer maxCompletionTokens = optionalInt(root, "max_completion_tokens");
    if (maxTokens != null && maxCompletionTokens != null && !maxTokens.equals(maxCompletionTokens)) {
      throw ApiException.invalid("max_completion_tokens", "invalid_value", "max_tokens (" + maxTokens
          + ") and max_completion_tokens (" + maxCompletionTokens + ") are the same setting; give one of them");
    }
    String maxTokensParam = "max_tokens";
    if (maxTokens == null) {
      maxTokens = maxCompletionTokens;
      maxTokensParam = maxTokens == null ? "max_tokens" : "max_completion_tokens";
    }
    if (maxTokens != null && maxTokens < 1) { // the context limit is the engine's to check
      throw ApiException.invalid(maxTokensParam, "invalid_value", maxTokensParam + " must be >= 1, got " + maxTokens);
    }
    double temperature = optionalDouble(root, "temperature", 1.0);
    if (temperature < 0 || temperature > 2) {
      throw ApiException.invalid("temperature", "invalid_value", "temperature must be in [0, 2], got " + temperature);
    }
    double topP = optionalDouble(root, "top_p", 1.0);
    if (!(topP > 0 && topP <= 1)) {
      throw ApiException.invalid("top_p", "invalid_value", "top_p must be in (0, 1], got " + topP);
    }
    Integer topK = optionalInt(root, "top_k");
    if (topK != null && topK < -1) {
      throw ApiException.invalid("top_k", "invalid_value", "top_k must be >= 1, or 0 or -1 to disable it; got " + topK);
    }
    Long seed = optionalLong(root, "seed");
    boolean stream = optionalBoolean(root, "stream");
    boolean includeUsage = false;
    JsonNode streamOptions = root.get("stream_options");
    if (streamOptions != null && !streamOptions.isNull()) {
      if (!streamOptions.isObject()) {
        throw ApiException.invalid("stream_options", "invalid_type", "stream_options must be an object");
      }
      if (!stream) {
        throw ApiException.invalid("stream_options", "invalid_value",
            "stream_options is only allowed when stream is true");
      }
      checkFields(streamOptions, ChatField.Scope.STREAM_OPTIONS, "stream_options.");
      includeUsage = optionalBoolean(streamOptions, "include_usage", "stream_options.include_usage");
    }
    double frequencyPenalty = penalty(root, "frequency_penalty");
    double presencePenalty = penalty(root, "presence_penalty");
    Map<Integer, Double> logitBias = logitBias(root);
    int logprobs = logprobs(root);
    SchemaSpec responseFormat = responseFormat(root);
    modalities(root);
    return new ChatRequest(model, messages, images.isEmpty() ? null : images.get(0), temperature, topP,
        topK == null || topK < 1 ? 0 : topK, maxTokens, maxTokensParam, seed, stop(root), stream, includeUsage,
        optionalBoolean(root, "return_routed_experts"), n, frequencyPenalty, presencePenalty, logitBias, logprobs,
        responseFormat);
  }

  /**
   * Every field of {@code node} must be in {@link ChatField} for {@code scope}; a refused one must be null; an
   * ignored one must have its type.
   */
  private static void checkFields(JsonNode node, ChatField.Scope scope, String at) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> entry = fields.next();
      String param = at + entry.getKey();
      ChatField field = ChatField.find(scope, entry.getKey());
      if (field == null) {
        throw ApiException.invalid(param, "unknown_parameter", "unknown parameter '" + oneLine(param)
            + "': this server does not know it (docs/serving.md lists the fields it takes)");
      }
      JsonNode value = entry.getValue();
      if (value.isNull()) {
        continue;
      }
      if (field.handling() == ChatField.Handling.REFUSED) {
        throw ApiException.invalid(param, "unsupported_parameter",
            param + " is not supported by this server: " + field.note());
      }
      if (field.handling() == ChatField.Handling.IGNORED) {
        boolean ok = switch (field.kind()) {
          case STRING -> value.isTextual();
          case BOOLEAN -> value.isBoolean();
          case OBJECT -> value.isObject();
          case ANY -> true;
        };
        if (!ok) {
          throw ApiException.invalid(param, "invalid_type",
              param + " must be a " + field.kind().name().toLowerCase(java.util.Locale.ROOT));
        }
      }
    }
  }

  /** The served name the answer carries: the first; a {@code model} that is none of them is a 404. */
  private String model(JsonNode root) {
    JsonNode node = root.get("model");
    if (node == null || node.isNull()) {
      return servedNames.get(0);
    }
    if (!node.isTextual()) {
      throw ApiException.invalid("model", "invalid_type", "model must be a string");
    }
    if (!servedNames.contains(node.asText())) {
      throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
          "the model '" + oneLine(node.asText()) + "' does not exist here; this server serves "
              + String.join(", ", servedNames));
    }
    return servedNames.get(0);
  }

  private int n(JsonNode root) {
    Integer n = optionalInt(root, "n");
    if (n == null) {
      return 1;
    }
    if (n < 1 || n > maxN) {
      throw ApiException.invalid("n", "invalid_value", "n must be in [1, " + maxN + "] (--max-n), got " + n);
    }
    return n;
  }

  private static double penalty(JsonNode root, String name) {
    double value = optionalDouble(root, name, 0);
    if (!(value >= -2 && value <= 2)) {
      throw ApiException.invalid(name, "invalid_value", name + " must be in [-2, 2], got " + value);
    }
    return value;
  }

  /** {@code {"<token id>": bias}}: ids in the vocabulary (not the image placeholder), biases in [-100, 100]. */
  private Map<Integer, Double> logitBias(JsonNode root) {
    JsonNode node = root.get("logit_bias");
    if (node == null || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw ApiException.invalid("logit_bias", "invalid_type",
          "logit_bias must be an object mapping token ids (strings) to biases");
    }
    Map<Integer, Double> bias = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> entries = node.fields();
    while (entries.hasNext()) {
      Map.Entry<String, JsonNode> entry = entries.next();
      String key = entry.getKey();
      int id;
      try {
        id = Integer.parseInt(key.strip());
      } catch (NumberFormatException e) {
        throw ApiException.invalid("logit_bias", "invalid_value",
            "logit_bias keys must be token ids, got '" + oneLine(key) + "'");
      }
      if (id < 0 || id >= vocabSize) {
        throw ApiException.invalid("logit_bias", "invalid_value",
            "logit_bias token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
      }
      if (id == imageTokenId) {
        throw ApiException.invalid("logit_bias", "invalid_value",
            "logit_bias token id " + id + " is the image placeholder, which is never generated");
      }
      JsonNode value = entry.getValue();
      if (!value.isNumber()) {
        throw ApiException.invalid("logit_bias", "invalid_type", "logit_bias values must be numbers");
      }
      double b = value.asDouble();
      if (!(b >= -100 && b <= 100)) {
        throw ApiException.invalid("logit_bias", "invalid_value",
            "logit_bias values must be in [-100, 100], got " + b + " for token " + id);
      }
      bias.put(id, b);
    }
    return bias;
  }

  /** -1 without {@code logprobs: true}, else {@code top_logprobs} (0 to 20, default 0). */
  private static int logprobs(JsonNode root) {
    boolean logprobs = optionalBoolean(root, "logprobs");
    Integer top = optionalInt(root, "top_logprobs");
    if (top != null && !logprobs) {
      throw ApiException.invalid("top_logprobs", "invalid_value", "top_logprobs needs logprobs: true");
    }
    if (top != null && (top < 0 || top > 20)) {
      throw ApiException.invalid("top_logprobs", "invalid_value", "top_logprobs must be in [0, 20], got " + top);
    }
    return logprobs ? (top == null ? 0 : top) : -1;
  }

  /**
   * {@code {"type":"text"}} (null), {@code {"type":"json_object"}} (any object) or {@code {"type":"json_schema",
   * "json_schema":{"name","description","schema","strict"}}} (the compiled schema; unsupported keywords: 400 naming
   * them, with {@code param} {@code response_format.json_schema.schema.<path>}).
   */
  private static SchemaSpec responseFormat(JsonNode root) {
    JsonNode node = root.get("response_format");
    if (node == null || node.isNull()) {
      return null;
    }
    JsonNode type = node.isObject() ? node.get("type") : null;
    if (type == null || !type.isTextual()) {
      throw ApiException.invalid("response_format", "invalid_type",
          "response_format must be an object with a string type");
    }
    String kind = type.asText();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!field.equals("type") && !(kind.equals("json_schema") && field.equals("json_schema"))) {
        throw ApiException.invalid("response_format." + field, "unknown_parameter", "unknown parameter '"
            + field + "' in response_format of type " + kind);
      }
    }
    switch (kind) {
      case "text":
        return null;
      case "json_object":
        return SchemaCompiler.anyObject();
      case "json_schema":
        return jsonSchema(node.get("json_schema"));
      default:
        throw ApiException.invalid("response_format.type", "invalid_value", "response_format type must be text, "
            + "json_object or json_schema, got " + oneLine(type.toString()));
    }
  }

  private static SchemaSpec jsonSchema(JsonNode spec) {
    String at = "response_format.json_schema";
    if (spec == null || !spec.isObject()) {
      throw ApiException.invalid(at, "invalid_type", "response_format of type json_schema needs a json_schema object "
          + "with a name and a schema");
    }
    for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!Set.of("name", "description", "schema", "strict").contains(field)) {
        throw ApiException.invalid(at + "." + field, "unknown_parameter", "unknown parameter '" + field
            + "' in response_format.json_schema (name, description, schema, strict)");
      }
    }
    JsonNode name = spec.get("name");
    if (name == null || !name.isTextual() || !name.textValue().matches("[a-zA-Z0-9_-]{1,64}")) {
      throw ApiException.invalid(at + ".name", "invalid_value", "response_format.json_schema.name must be 1 to 64 "
          + "letters, digits, '_' or '-'");
    }
    JsonNode description = spec.get("description");
    if (description != null && !description.isNull() && !description.isTextual()) {
      throw ApiException.invalid(at + ".description", "invalid_type", "description must be a string");
    }
    JsonNode strict = spec.get("strict");
    if (strict != null && !strict.isNull() && !strict.isBoolean()) {
      throw ApiException.invalid(at + ".strict", "invalid_type", "strict must be a boolean");
    }
    JsonNode schema = spec.get("schema");
    if (schema == null || schema.isNull()) {
      return SchemaCompiler.compile(JSON_NODES.objectNode()); // no schema: any JSON value
    }
    try {
      return SchemaCompiler.compile(schema);
    } catch (SchemaException e) {
      throw ApiException.invalid(at + ".schema" + (e.path().isEmpty() ? "" : "." + e.path()),
          e.unsupported() ? "unsupported_parameter" : "invalid_value", e.getMessage());
    }
  }

  private static final com.fasterxml.jackson.databind.node.JsonNodeFactory JSON_NODES =
      com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;

  /** Only {@code ["text"]}: the model writes text. */
  private static void modalities(JsonNode root) {
    JsonNode node = root.get("modalities");
    if (node == null || node.isNull()) {
      return;
    }
    if (!node.isArray()) {
      throw ApiException.invalid("modalities", "invalid_type", "modalities must be an array of strings");
    }
    for (JsonNode m : node) {
      if (!m.isTextual()) {
        throw ApiException.invalid("modalities", "invalid_type", "modalities must be an array of strings");
      }
      if (!m.asText().equals("text")) {
        throw ApiException.invalid("modalities", "unsupported_parameter", "modality '" + oneLine(m.asText())
            + "' is not supported by this server: it answers with text only");
      }
    }
  }

  private List<ChatMessage> messages(JsonNode root, List<ImageInput> images) {
    JsonNode node = root.get("messages");
    if (node == null || node.isNull()) {
      throw ApiException.invalid("messages", "missing_required_parameter", "messages is required");
    }
    if (!node.isArray()) {
      throw ApiException.invalid("messages", "invalid_type", "messages must be an array");
    }
    if (node.isEmpty()) {
      throw ApiException.invalid("messages", "invalid_value", "messages must hold at least one message");
    }
    List<ChatMessage> messages = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      String at = "messages[" + i + "]";
      JsonNode message = node.get(i);
      if (!message.isObject()) {
        throw ApiException.invalid(at, "invalid_type", at + " must be an object");
      }
      JsonNode role = message.get("role");
      if (role != null && role.isTextual() && (role.asText().equals("tool") || role.asText().equals("function"))) {
        throw ApiException.invalid(at + ".role", "unsupported_parameter", at + ".role " + role.asText()
            + " is not supported by this server: tool and function calling are not supported");
      }
      if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
        throw ApiException.invalid(at + ".role", "invalid_value",
            at + ".role must be system, developer, user or assistant");
      }
      checkFields(message, ChatField.Scope.MESSAGE, at + ".");
      String name = role.asText().equals("developer") ? "system" : role.asText(); // OpenAI's newer name for it
      messages.add(content(message.get("content"), name, at, images));
    }
    if (images.size() > 1) {
      throw ApiException.invalid("messages", "invalid_value",
          "the model takes one image per conversation, got " + images.size());
    }
    return messages;
  }

  private ChatMessage content(JsonNode content, String role, String at, List<ImageInput> images) {
    if (content == null || content.isNull()) {
      if (role.equals("assistant")) {
        return new ChatMessage(role, "", false);
      }
      throw ApiException.invalid(at + ".content", "missing_required_parameter", at + ".content is required");
    }
    if (content.isTextual()) {
      return new ChatMessage(role, content.asText(), false);
    }
    if (!content.isArray()) {
      throw ApiException.invalid(at + ".content", "invalid_type",
          at + ".content must be a string or an array of content parts");
    }
    StringBuilder text = new StringBuilder();
    boolean hasImage = false;
    for (int j = 0; j < content.size(); j++) {
      String partAt = at + ".content[" + j + "]";
      JsonNode part = content.get(j);
      JsonNode type = part.get("type");
      if (!part.isObject() || type == null || !type.isTextual()) {
        throw ApiException.invalid(partAt, "invalid_type", partAt + " must be an object with a string type");
      }
      switch (type.asText()) {
        case "text" -> {
          JsonNode value = part.get("text");
          if (value == null || !value.isTextual()) {
            throw ApiException.invalid(partAt + ".text", "invalid_type", partAt + ".text must be a string");
          }
          text.append(text.length() == 0 ? "" : "\n").append(value.asText());
        }
        case "image_url" -> {
          JsonNode imageUrl = part.get("image_url");
          JsonNode url = imageUrl == null ? null : imageUrl.isTextual() ? imageUrl : imageUrl.get("url");
          if (url == null || !url.isTextual()) {
            throw ApiException.invalid(partAt + ".image_url.url", "invalid_type",
                partAt + ".image_url.url must be a string");
          }
          images.add(image(url.asText(), partAt + ".image_url.url"));
          hasImage = true;
        }
        default -> throw ApiException.invalid(partAt + ".type", "invalid_value",
            partAt + ".type must be text or image_url, got " + oneLine(type.asText()));
      }
    }
    return new ChatMessage(role, text.toString(), hasImage);
  }

  /** A {@code data:} URL's bytes, or an {@code http(s)} URL when the server fetches them. */
  private ImageInput image(String url, String param) {
    if (url.startsWith("data:")) {
      return new ImageInput.Inline(dataUrl(url, param));
    }
    String lower = url.length() > 8 ? url.substring(0, 8).toLowerCase(java.util.Locale.ROOT) : url;
    if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
      throw ApiException.invalid(param, "unsupported_image_url",
          "image URLs must be data:" + (imageUrlsAllowed ? ", http: or https:" : "") + " URLs");
    }
    if (!imageUrlsAllowed) {
      throw ApiException.invalid(param, "unsupported_image_url", "this server fetches no image URLs (it was "
          + "started without --allow-image-urls); send the image as a data:image/...;base64 URL");
    }
    if (url.length() > MAX_URL_LENGTH) {
      throw ApiException.invalid(param, "invalid_image_url", "image URL is longer than " + MAX_URL_LENGTH
          + " characters");
    }
    java.net.URI uri;
    try {
      uri = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      throw ApiException.invalid(param, "invalid_image_url", "image URL is not a valid URL: " + oneLine(e.getMessage()));
    }
    if (uri.getHost() == null) {
      throw ApiException.invalid(param, "invalid_image_url", "image URL names no host");
    }
    return new ImageInput.Url(uri, param);
  }

  /** The bytes of a {@code data:<type>;base64,<data>} URL. */
  private byte[] dataUrl(String url, String param) {
    int comma = url.indexOf(',');
    if (comma < 0 || !url.substring(0, comma).endsWith(";base64")) {
      throw ApiException.invalid(param, "invalid_image_url", "image URL must look like data:image/png;base64,...");
    }
    String data = url.substring(comma + 1).replaceAll("\\s", "");
    long decodedEstimate = data.length() / 4L * 3;
    if (decodedEstimate > maxImageBytes + 3L) {
      throw ApiException.invalid(param, "image_too_large",
          "image is about " + decodedEstimate + " bytes, over the limit of " + maxImageBytes + " bytes");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(data);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(param, "invalid_base64", "image data is not valid base64: " + oneLine(e.getMessage()));
    }
    if (bytes.length > maxImageBytes) {
      throw ApiException.invalid(param, "image_too_large",
          "image is " + bytes.length + " bytes, over the limit of " + maxImageBytes + " bytes");
    }
    if (bytes.length == 0) {
      throw ApiException.invalid(param, "invalid_image", "image data is empty");
    }
    return bytes;
  }

  private static List<String> stop(JsonNode root) {
    JsonNode node = root.get("stop");
    if (node == null || node.isNull()) {
      return List.of();
    }
    List<String> stops = new ArrayList<>();
    if (node.isTextual()) {
      stops.add(node.asText());
    } else if (node.isArray()) {
      for (JsonNode s : node) {
        if (!s.isTextual()) {
          throw ApiException.invalid("stop", "invalid_type", "stop must be a string or an array of strings");
        }
        stops.add(s.asText());
      }
    } else {
      throw ApiException.invalid("stop", "invalid_type", "stop must be a string or an array of strings");
    }
    if (stops.size() > MAX_STOP_STRINGS) {
      throw ApiException.invalid("stop", "invalid_value", "stop holds at most " + MAX_STOP_STRINGS + " strings");
    }
    if (stops.stream().anyMatch(String::isEmpty)) {
      throw ApiException.invalid("stop", "invalid_value", "stop strings must not be empty");
    }
    return stops;
  }

  private static double optionalDouble(JsonNode root, String name, double fallback) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isNumber()) {
      throw ApiException.invalid(name, "invalid_type", name + " must be a number");
    }
    return node.asDouble();
  }

  private static Integer optionalInt(JsonNode root, String name) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw ApiException.invalid(name, "invalid_type", name + " must be an integer");
    }
    return node.asInt();
  }

  private static Long optionalLong(JsonNode root, String name) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw ApiException.invalid(name, "invalid_type", name + " must be a 64-bit integer");
    }
    return node.asLong();
  }

  private static boolean optionalBoolean(JsonNode root, String name) {
    return optionalBoolean(root, name, name);
  }

  private static boolean optionalBoolean(JsonNode root, String name, String param) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw ApiException.invalid(param, "invalid_type", param + " must be a boolean");
    }
    return node.asBoolean();
  }

  private static String oneLine(String message) {
    if (message == null) {
      return "";
    }
    String line = message.replaceAll("\\s+", " ").trim();
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
