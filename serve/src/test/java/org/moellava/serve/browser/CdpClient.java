package org.moellava.serve.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TEST HELPER: a minimal Chrome DevTools Protocol client over {@link java.net.http.WebSocket}: sends commands
 * with ids and waits for the matching responses; events are ignored.
 */
final class CdpClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

  CdpClient(URI webSocketUrl) throws Exception {
    this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(webSocketUrl, new Listener()).get(10, TimeUnit.SECONDS);
  }

  /** Sends {@code method} with {@code params} and returns its {@code result}; a CDP error throws. */
  JsonNode call(String method, ObjectNode params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> response = new CompletableFuture<>();
    pending.put(id, response);
    ObjectNode message = JSON.createObjectNode().put("id", id).put("method", method);
    message.set("params", params == null ? JSON.createObjectNode() : params);
    socket.sendText(message.toString(), true).get(10, TimeUnit.SECONDS);
    JsonNode reply = response.get(30, TimeUnit.SECONDS);
    if (reply.has("error")) throw new IllegalStateException(method + ": " + reply.get("error"));
    return reply.path("result");
  }

  /** Evaluates a JavaScript expression in the page and returns its value (promises awaited). */
  JsonNode evaluate(String expression) throws Exception {
    JsonNode result = call("Runtime.evaluate", params().put("expression", expression).put("returnByValue", true)
        .put("awaitPromise", true));
    if (result.has("exceptionDetails")) {
      throw new IllegalStateException("page script failed: " + result.get("exceptionDetails"));
    }
    return result.path("result").path("value");
  }

  static ObjectNode params() {
    return JSON.createObjectNode();
  }

  @Override
  public void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          JsonNode message = JSON.readTree(partial.toString());
          if (message.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(message.get("id").asInt());
            if (f != null) f.complete(message);
          }
        } catch (Exception e) {
          pending.values().forEach(f -> f.completeExceptionally(e));
        }
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }
  }
}
