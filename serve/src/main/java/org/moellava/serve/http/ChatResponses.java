package org.moellava.serve.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.moellava.serve.engine.FinishReason;
import org.moellava.serve.engine.GeneratedToken;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.TokenDecoder;
import org.moellava.serve.engine.TokenLogprobs;

/**
 * JSON bodies of OpenAI's {@code chat.completion} and {@code chat.completion.chunk}, for one or more choices.
 *
 * <p>Log probabilities ({@code logprobs: true}) are listed per generated token, except a final end-of-sequence
 * token (which adds no text; it still counts in {@code completion_tokens}). A log probability of minus infinity is
 * written as -9999.0, as vLLM does, for JSON has no infinity.
 */
final class ChatResponses {
  private static final double MIN_LOGPROB = -9999.0;

  private final String id;
  private final long created;
  private final String model;
  private final List<Integer> moeLayers;
  private final TokenDecoder decoder;
  private final int eosTokenId;

  ChatResponses(String id, long created, String model, List<Integer> moeLayers, TokenDecoder decoder,
      int eosTokenId) {
    this.id = id;
    this.created = created;
    this.model = model;
    this.moeLayers = moeLayers;
    this.decoder = decoder;
    this.eosTokenId = eosTokenId;
  }

  /** The completion id. */
  String id() {
    return id;
  }

  /** The whole answer: one choice per result, in order, and the usage. */
  ObjectNode completion(List<GenerationResult> results, boolean routedExperts, boolean logprobs) {
    ObjectNode root = header("chat.completion");
    ArrayNode choices = root.putArray("choices");
    for (int i = 0; i < results.size(); i++) {
      GenerationResult result = results.get(i);
      ObjectNode choice = choices.addObject();
      choice.put("index", i);
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      message.put("content", result.text());
      message.putNull("refusal");
      if (logprobs) {
        ArrayNode content = logprobsContent(choice);
        List<TokenLogprobs> tokens = result.logprobs();
        int count = tokens.size();
        if (count > 0 && result.finishReason() == FinishReason.STOP && tokens.get(count - 1).tokenId() == eosTokenId) {
          count--;
        }
        for (int t = 0; t < count; t++) {
          content.add(logprob(tokens.get(t)));
        }
      } else {
        choice.putNull("logprobs");
      }
      choice.put("finish_reason", result.finishReason().openAiName());
      if (routedExperts) {
        ArrayNode tokens = choice.putArray("routed_experts");
        for (int[][] token : result.routedExperts()) {
          tokens.add(experts(token));
        }
      }
    }
    if (routedExperts) {
      root.set("moe_layers", layers());
    }
    root.set("usage", usage(results));
    return root;
  }

  /** The first chunk of a choice: the assistant role. */
  ObjectNode roleChunk(int index, boolean routedExperts) {
    ObjectNode root = header("chat.completion.chunk");
    if (routedExperts) {
      root.set("moe_layers", layers());
    }
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", index);
    choice.putObject("delta").put("role", "assistant").put("content", "");
    choice.putNull("logprobs");
    choice.putNull("finish_reason");
    return root;
  }

  /**
   * Whether a token is worth a chunk: it has text, or its experts or log probabilities were asked for (a final
   * end-of-sequence token has no log probabilities to show).
   */
  boolean hasChunk(GeneratedToken token, boolean routedExperts, boolean logprobs) {
    return !token.textDelta().isEmpty() || routedExperts || (logprobs && showsLogprobs(token));
  }

  /**
   * One token of a choice: its text; optionally its experts as {@code routed_experts: [[[e..] per layer]]} and its
   * log probabilities.
   */
  ObjectNode tokenChunk(int index, GeneratedToken token, boolean routedExperts, boolean logprobs) {
    ObjectNode root = header("chat.completion.chunk");
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", index);
    choice.putObject("delta").put("content", token.textDelta());
    if (logprobs && showsLogprobs(token)) {
      logprobsContent(choice).add(logprob(token.logprobs()));
    } else {
      choice.putNull("logprobs");
    }
    choice.putNull("finish_reason");
    if (routedExperts) {
      choice.putArray("routed_experts").add(experts(token.routedExperts()));
    }
    return root;
  }

  /** The last chunk of a choice, with its finish reason. */
  ObjectNode finishChunk(int index, GenerationResult result) {
    ObjectNode root = header("chat.completion.chunk");
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("index", index);
    choice.putObject("delta");
    choice.putNull("logprobs");
    choice.put("finish_reason", result.finishReason().openAiName());
    return root;
  }

  /** {@code stream_options.include_usage}: empty choices and the usage of all choices. */
  ObjectNode usageChunk(List<GenerationResult> results) {
    ObjectNode root = header("chat.completion.chunk");
    root.putArray("choices");
    root.set("usage", usage(results));
    return root;
  }

  private boolean showsLogprobs(GeneratedToken token) {
    return token.logprobs() != null && token.tokenId() != eosTokenId;
  }

  /** {@code logprobs: {content: [], refusal: null}}; returns the content array. */
  private static ArrayNode logprobsContent(ObjectNode choice) {
    ObjectNode logprobs = choice.putObject("logprobs");
    ArrayNode content = logprobs.putArray("content");
    logprobs.putNull("refusal");
    return content;
  }

  /** {@code {token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}}. */
  private ObjectNode logprob(TokenLogprobs token) {
    ObjectNode entry = tokenEntry(token.tokenId(), token.logprob());
    ArrayNode top = entry.putArray("top_logprobs");
    for (int i = 0; i < token.topIds().length; i++) {
      top.add(tokenEntry(token.topIds()[i], token.topLogprobs()[i]));
    }
    return entry;
  }

  private ObjectNode tokenEntry(int tokenId, double logprob) {
    ObjectNode entry = Json.MAPPER.createObjectNode();
    String text = decoder.tokenText(tokenId);
    entry.put("token", text);
    entry.put("logprob", Double.isFinite(logprob) ? Math.max(logprob, MIN_LOGPROB) : MIN_LOGPROB);
    ArrayNode bytes = entry.putArray("bytes");
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      bytes.add(b & 0xff);
    }
    return entry;
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

  /**
   * The prompt once (every choice shares it), the completion tokens of all choices, and in
   * {@code prompt_tokens_details.cached_tokens} the prompt tokens the first choice took from the prefix cache.
   */
  private static ObjectNode usage(List<GenerationResult> results) {
    int prompt = results.isEmpty() ? 0 : results.get(0).promptTokens();
    int cached = results.isEmpty() ? 0 : results.get(0).cachedPromptTokens();
    int completion = 0;
    for (GenerationResult r : results) {
      completion += r.completionTokens();
    }
    ObjectNode usage = Json.MAPPER.createObjectNode();
    usage.put("prompt_tokens", prompt);
    usage.put("completion_tokens", completion);
    usage.put("total_tokens", prompt + completion);
    usage.putObject("prompt_tokens_details").put("cached_tokens", cached);
    return usage;
  }
}
