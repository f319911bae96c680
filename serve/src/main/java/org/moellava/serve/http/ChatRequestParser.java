package org.moellava.serve.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.moellava.serve.prompt.ChatMessage;

/**
 * Parses and checks a {@code /v1/chat/completions} body; every problem becomes a 400 {@link ApiException}
 * naming the offending parameter. Unknown fields are ignored, as OpenAI clients send many; JSON nulls count
 * as absent.
 */
final class ChatRequestParser {
  private static final Set<String> ROLES = Set.of("system", "user", "assistant");
  private static final int MAX_STOP_STRINGS = 4;

  private final int maxImageBytes;

  ChatRequestParser(int maxImageBytes) {
    this.maxImageBytes = maxImageBytes;
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
    Integer n = optionalInt(root, "n");
    if (n != null && n != 1) {
      throw ApiException.invalid("n", "invalid_value", "only n = 1 is supported, got " + n);
    }
    List<byte[]> images = new ArrayList<>();
    List<ChatMessage> messages = messages(root, images);
    Integer maxTokens = optionalInt(root, "max_tokens");
    String maxTokensParam = "max_tokens";
    if (maxTokens == null) {
      maxTokens = optionalInt(root, "max_completion_tokens");
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
      includeUsage = optionalBoolean(streamOptions, "include_usage");
    }
    return new ChatRequest(messages, images.isEmpty() ? null : images.get(0), temperature, topP,
        topK == null || topK < 1 ? 0 : topK, maxTokens, maxTokensParam, seed, stop(root), stream, includeUsage,
        optionalBoolean(root, "return_routed_experts"));
  }

  private List<ChatMessage> messages(JsonNode root, List<byte[]> images) {
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
      if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
        throw ApiException.invalid(at + ".role", "invalid_value", at + ".role must be system, user or assistant");
      }
      messages.add(content(message.get("content"), role.asText(), at, images));
    }
    if (images.size() > 1) {
      throw ApiException.invalid("messages", "invalid_value",
          "the model takes one image per conversation, got " + images.size());
    }
    return messages;
  }

  private ChatMessage content(JsonNode content, String role, String at, List<byte[]> images) {
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
          images.add(dataUrl(url.asText(), partAt + ".image_url.url"));
          hasImage = true;
        }
        default -> throw ApiException.invalid(partAt + ".type", "invalid_value",
            partAt + ".type must be text or image_url, got " + oneLine(type.asText()));
      }
    }
    return new ChatMessage(role, text.toString(), hasImage);
  }

  /** The bytes of a {@code data:<type>;base64,<data>} URL. */
  private byte[] dataUrl(String url, String param) {
    if (!url.startsWith("data:")) {
      throw ApiException.invalid(param, "unsupported_image_url",
          "only data: URLs with base64 images are accepted; the server fetches nothing");
    }
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
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw ApiException.invalid(name, "invalid_type", name + " must be a boolean");
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
