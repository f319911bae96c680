package org.moellava.serve.http;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The server's JSON mapper and the OpenAI error body. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Json() {}

  /** {@code {"error":{"message","type","param","code"}}}. */
  static ObjectNode error(ApiException e) {
    ObjectNode root = MAPPER.createObjectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", e.getMessage());
    error.put("type", e.type());
    error.put("param", e.param());
    error.put("code", e.code());
    return root;
  }
}
