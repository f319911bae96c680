package org.moellava.serve.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.moellava.serve.engine.GeneratedToken;
import org.moellava.serve.engine.GenerationResult;

/** JSON bodies of OpenAI's {@code chat.completion} and {@code chat.completion.chunk}. */
final class ChatResponses {
  private final String id;
  private final long created;
  private final String model;
  private final List<Integer> moeLayers;

  ChatResponses(String id, long created, String model, List<Integer> moeLayers) {
    this.id = id;
    this.created = created;
    this.model = model;
    this.moeLayers = moeLayers;
  }

  /** The completion id. */
  String id() {
    return id;
  }

  /** The whole answer, with usage. */
  ObjectNode completion(GenerationResult result, boolean routedExperts) {
    ObjectNode root = header("chat.completion");
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", result.text());
    choice.put("finish_reason", result.finishReason().openAiName());
    if (routedExperts) {
      root.set("moe_layers", layers());
      ArrayNode tokens = choice.putArray("routed_experts");
      for (int[][] token : result.routedExperts()) {
        tokens.add(experts(token));
      }
    }
    root.set("usage", usage(result));
    return root;
  }

  /** The first chunk: the assistant role. */
  ObjectNode roleChunk(boolean routedExperts) {
    ObjectNode root = header("chat.completion.chunk");
    if (routedExperts) {
      root.set("moe_layers", layers());
    }
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("delta").put("role", "assistant").put("content", "");
    choice.putNull("finish_reason");
    return root;
  }

  /** One token's text, and optionally its experts as {@code routed_experts: [[[e..] per layer]]}. */
  ObjectNode tokenChunk(GeneratedToken token, boolean routedExperts) {
    ObjectNode root = header("chat.completion.chunk");
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("delta").put("content", token.textDelta());
    choice.putNull("finish_reason");
    if (routedExperts) {
      choice.putArray("routed_experts").add(experts(token.routedExperts()));
    }
    return root;
  }

  /** The last chunk with the finish reason. */
  ObjectNode finishChunk(GenerationResult result) {
    ObjectNode root = header("chat.completion.chunk");
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("delta");
    choice.put("finish_reason", result.finishReason().openAiName());
    return root;
  }

  /** {@code stream_options.include_usage}: empty choices and the usage. */
  ObjectNode usageChunk(GenerationResult result) {
    ObjectNode root = header("chat.completion.chunk");
    root.putArray("choices");
    root.set("usage", usage(result));
    return root;
  }

  private ObjectNode header(String object) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("id", id);
    root.put("object", object);
    root.put("created", created);
    root.put("model", model);
    return root;
  }

  private ArrayNode layers() {
    ArrayNode array = Json.MAPPER.createArrayNode();
    moeLayers.forEach(array::add);
    return array;
  }

  private static ArrayNode experts(int[][] perLayer) {
    ArrayNode layers = Json.MAPPER.createArrayNode();
    for (int[] chosen : perLayer) {
      ArrayNode experts = layers.addArray();
      for (int e : chosen) {
        experts.add(e);
      }
    }
    return layers;
  }

  private static ObjectNode usage(GenerationResult result) {
    ObjectNode usage = Json.MAPPER.createObjectNode();
    usage.put("prompt_tokens", result.promptTokens());
    usage.put("completion_tokens", result.completionTokens());
    usage.put("total_tokens", result.promptTokens() + result.completionTokens());
    return usage;
  }
}
