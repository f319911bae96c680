package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.http.HttpFixture.parse;
import static org.moellava.serve.http.HttpFixture.question;
import static org.moellava.serve.http.HttpFixture.withImage;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.FakeTokenizer;
import org.moellava.serve.prompt.ChatTemplate;
import org.moellava.serve.fake.TestImages;

@Timeout(60)
class ChatServerTest {
  private static HttpFixture http;

  @BeforeAll
  static void start() {
    http = new HttpFixture(new FakeBackend().failEmbedOnToken(FakeTokenizer.idOf('~')), new EngineConfig(4, 32),
        HttpFixture.options());
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  @Test
  void completionHasTheAnswerAndUsage() throws Exception {
    HttpResponse<String> response = http.post(question("What?", ",\"max_tokens\":7,\"temperature\":0"));
    assertEquals(200, response.statusCode(), response.body());
    JsonNode body = parse(response.body());
    assertEquals("chat.completion", body.get("object").asText());
    assertEquals("fake-moe", body.get("model").asText());
    JsonNode choice = body.get("choices").get(0);
    assertEquals("assistant", choice.get("message").get("role").asText());
    assertEquals("length", choice.get("finish_reason").asText());
    int promptTokens = (ChatTemplate.DEFAULT_SYSTEM + " USER: What? ASSISTANT:").length(); // one token a char
    assertEquals(promptTokens, body.get("usage").get("prompt_tokens").asInt());
    assertEquals(7, body.get("usage").get("completion_tokens").asInt());
    assertEquals(promptTokens + 7, body.get("usage").get("total_tokens").asInt());
    assertEquals(7, choice.get("message").get("content").asText().length(), "no special tokens without eos");
  }

  @Test
  void imageRequestCountsImageTokensAndRoutedExpertsAreReturned() throws Exception {
    byte[] png = TestImages.png(TestImages.solid(16, 16, Color.BLUE));
    HttpResponse<String> response = http.post(withImage(png, "Color?",
        ",\"max_tokens\":5,\"temperature\":0,\"return_routed_experts\":true"));
    assertEquals(200, response.statusCode(), response.body());
    JsonNode body = parse(response.body());
    int expectedPrompt = (ChatTemplate.DEFAULT_SYSTEM + " USER: \nColor? ASSISTANT:").length() + FakeBackend.P;
    assertEquals(expectedPrompt, body.get("usage").get("prompt_tokens").asInt());
    assertEquals("[0,1]", body.get("moe_layers").toString());
    JsonNode routed = body.get("choices").get(0).get("routed_experts");
    assertEquals(5, routed.size());
    for (JsonNode token : routed) {
      assertEquals(2, token.size());
      for (JsonNode layer : token) {
        assertEquals(2, layer.size());
        int a = layer.get(0).asInt();
        int b = layer.get(1).asInt();
        assertTrue(a != b && a >= 0 && a < 4 && b >= 0 && b < 4, layer.toString());
      }
    }
  }

  @Test
  void streamSendsWellFormedChunksThatAddUpToTheCompletion() throws Exception {
    String params = ",\"max_tokens\":12,\"temperature\":0.8,\"seed\":5,\"top_k\":10";
    String whole = parse(http.post(question("Stream it", params)).body()).get("choices").get(0).get("message")
        .get("content").asText();
    HttpResponse<String> response = http.post(question("Stream it",
        params + ",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"return_routed_experts\":true"));
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    List<String> data = dataLines(response.body());
    assertEquals("[DONE]", data.get(data.size() - 1));
    StringBuilder content = new StringBuilder();
    String id = null;
    String finish = null;
    int routedTokens = 0;
    JsonNode usage = null;
    for (String line : data.subList(0, data.size() - 1)) {
      JsonNode chunk = parse(line);
      assertEquals("chat.completion.chunk", chunk.get("object").asText());
      id = id == null ? chunk.get("id").asText() : id;
      assertEquals(id, chunk.get("id").asText());
      if (chunk.has("usage")) {
        usage = chunk.get("usage");
        continue;
      }
      JsonNode choice = chunk.get("choices").get(0);
      if (choice.get("delta").has("content")) {
        content.append(choice.get("delta").get("content").asText());
      }
      if (choice.has("routed_experts")) {
        routedTokens += choice.get("routed_experts").size();
      }
      if (!choice.get("finish_reason").isNull()) {
        finish = choice.get("finish_reason").asText();
      }
    }
    assertEquals("assistant", parse(data.get(0)).get("choices").get(0).get("delta").get("role").asText());
    assertEquals(whole, content.toString());
    assertEquals("length", finish);
    assertEquals(12, routedTokens);
    assertNotNull(usage);
    assertEquals(12, usage.get("completion_tokens").asInt());
  }

  @Test
  void badInputsAre400WithOpenAiErrors() throws Exception {
    byte[] png = TestImages.png(TestImages.solid(16, 16, Color.GREEN));
    assertBadRequest("{\"messages\": [", null);
    assertBadRequest("[1,2]", null);
    assertBadRequest("{}", "messages");
    assertBadRequest("{\"messages\":[]}", "messages");
    assertBadRequest("{\"messages\":\"hi\"}", "messages");
    assertBadRequest("{\"messages\":[{\"role\":\"robot\",\"content\":\"hi\"}]}", "messages[0].role");
    assertBadRequest("{\"messages\":[{\"role\":\"user\",\"content\":42}]}", "messages[0].content");
    assertBadRequest(question("hi", ",\"temperature\":\"hot\""), "temperature");
    assertBadRequest(question("hi", ",\"max_tokens\":1.5"), "max_tokens");
    assertBadRequest(question("hi", ",\"stream\":\"yes\""), "stream");
    assertBadRequest(question("hi", ",\"top_p\":0"), "top_p");
    assertBadRequest(question("hi", ",\"max_tokens\":0"), "max_tokens");
    assertBadRequest(question("hi", ",\"max_tokens\":100000"), "max_tokens");
    assertBadRequest(question("hi", ",\"max_tokens\":250"), "max_tokens"); // prompt + 250 > 256
    assertBadRequest(question("x".repeat(300), ""), "messages");
    String badBase64 = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"data:image/png;base64,@@@notbase64@@@\"}}]}]}";
    assertBadRequest(badBase64, "messages[0].content[0].image_url.url");
    assertBadRequest(withImage("not an image at all".getBytes(StandardCharsets.UTF_8), "hi", ""), "messages");
    assertBadRequest(withImage(TestImages.png(TestImages.solid(201, 200, Color.RED)), "hi", ""), "messages");
    assertBadRequest(withImage(TestImages.pngHeaderOnly(60_000, 60_000), "hi", ""), "messages");
    assertBadRequest(withImage(new byte[70 * 1024], "hi", ""), "messages[0].content[0].image_url.url");
    assertBadRequest("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"http://example.com/cat.png\"}}]}]}", "messages[0].content[0].image_url.url");
    String twoImages = withImage(png, "a", "").replace("]}]}", "]},{\"role\":\"user\",\"content\":[{\"type\":"
        + "\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
        + java.util.Base64.getEncoder().encodeToString(png) + "\"}}]}]}");
    assertBadRequest(twoImages, "messages");
  }

  /** The engine checks the context; the server blames the messages or the max_tokens parameter actually sent. */
  @Test
  void contextLimitIs400ContextLengthExceeded() throws Exception {
    int promptTokens = (ChatTemplate.DEFAULT_SYSTEM + " USER: hi ASSISTANT:").length(); // one token a char
    int room = 256 - promptTokens;
    JsonNode tooMany = contextError(question("hi", ",\"max_tokens\":" + (room + 1)), "max_tokens");
    assertEquals("prompt of " + promptTokens + " tokens plus max_tokens " + (room + 1)
        + " exceeds the model context of 256 tokens", tooMany.get("message").asText());
    contextError(question("hi", ",\"max_completion_tokens\":100000"), "max_completion_tokens");
    JsonNode longPrompt = contextError(question("x".repeat(300), ""), "messages");
    assertTrue(longPrompt.get("message").asText().endsWith("the model context holds 256 tokens including the answer"),
        longPrompt.toString());
    HttpResponse<String> fits = http.post(question("hi", ",\"max_tokens\":" + room + ",\"temperature\":0"));
    assertEquals(200, fits.statusCode(), fits.body());
    assertEquals(room, parse(fits.body()).get("usage").get("completion_tokens").asInt());
  }

  private static JsonNode contextError(String body, String param) throws Exception {
    HttpResponse<String> response = http.post(body);
    assertEquals(400, response.statusCode(), response.body());
    JsonNode error = assertErrorJson(response.body(), "invalid_request_error");
    assertEquals(param, error.get("param").asText(), response.body());
    assertEquals("context_length_exceeded", error.get("code").asText(), response.body());
    return error;
  }

  @Test
  void malformedRequestLinesAndPathsGetJsonErrorsNotJettyPages() throws Exception {
    for (String target : List.of("/%zz", "/v1/%2e%2e/%2e%2e/etc/passwd", "/v1/chat/completions%00")) {
      String raw = rawRequest("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
      assertTrue(raw.startsWith("HTTP/1.1 4"), target + " -> " + raw);
      String head = raw.substring(0, raw.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
      assertTrue(head.contains("content-type: application/json"), target + " -> " + raw);
      assertErrorJson(raw.substring(raw.indexOf("\r\n\r\n") + 4), "invalid_request_error");
    }
  }

  @Test
  void withoutAKeyRebindingCrossSiteAndSimplePostsAreRefused() throws Exception {
    String body = question("hi", ",\"max_tokens\":2");
    String ok = rawRequest(post("127.0.0.1:" + http.server.port(), null, "application/json", body));
    assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
    String localhost = rawRequest(post("localhost:" + http.server.port(), "http://localhost:" + http.server.port(),
        "application/json", body));
    assertTrue(localhost.startsWith("HTTP/1.1 200"), localhost);
    String rebound = rawRequest(post("evil.example:" + http.server.port(), null, "application/json", body));
    assertTrue(rebound.startsWith("HTTP/1.1 403") && rebound.contains("Host header"), rebound);
    String crossSite = rawRequest(post("127.0.0.1:" + http.server.port(), "https://evil.example",
        "application/json", body));
    assertTrue(crossSite.startsWith("HTTP/1.1 403") && crossSite.contains("cross-origin"), crossSite);
    String simple = rawRequest(post("127.0.0.1:" + http.server.port(), null, "text/plain", body));
    assertTrue(simple.startsWith("HTTP/1.1 415") && simple.contains("application/json"), simple);
  }

  private static String post(String host, String origin, String type, String body) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: " + host + "\r\n"
        + (origin == null ? "" : "Origin: " + origin + "\r\n") + "Content-Type: " + type + "\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
  }

  private String rawRequest(String request) throws IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", http.server.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void bodyOverTheLimitIs413() throws Exception {
    HttpResponse<String> response = http.post(question("x".repeat(300 * 1024), ""));
    assertEquals(413, response.statusCode());
    assertErrorJson(response.body(), "invalid_request_error");
  }

  @Test
  void backendFailureIs500ForThatRequestOnly() throws Exception {
    HttpResponse<String> failed = http.post(question("boom ~", ",\"max_tokens\":3"));
    assertEquals(500, failed.statusCode());
    assertErrorJson(failed.body(), "server_error");
    HttpResponse<String> streamed = http.post(question("boom ~", ",\"max_tokens\":3,\"stream\":true"));
    assertEquals(500, streamed.statusCode());
    // greedy: sampled, the fake model may itself generate '~', whose embedding then fails that request too
    assertEquals(200, http.post(question("fine", ",\"max_tokens\":3,\"temperature\":0")).statusCode());
  }

  @Test
  void modelsHealthPageAndMetrics() throws Exception {
    http.post(question("count me", ",\"max_tokens\":2"));
    JsonNode models = parse(http.get("/v1/models").body());
    assertEquals("fake-moe", models.get("data").get(0).get("id").asText());
    assertEquals(4, models.get("data").get(0).get("num_experts").asInt());
    assertEquals("ok", parse(http.get("/health").body()).get("status").asText());
    HttpResponse<String> page = http.get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("/v1/chat/completions") && !page.body().contains("https://"));
    String metrics = http.get("/metrics").body();
    for (String name : List.of("moellava_request_latency_seconds_bucket", "moellava_time_to_first_token_seconds",
        "moellava_generated_tokens_total", "moellava_prompt_tokens_total", "moellava_queue_depth",
        "moellava_active_sequences", "moellava_batch_size_bucket", "moellava_expert_tokens_total")) {
      assertTrue(metrics.contains(name), "metrics lack " + name);
    }
    assertTrue(metrics.matches("(?s).*moellava_expert_tokens_total\\{expert=\"[0-3]\",layer=\"1\"} [1-9].*"),
        "expert load of layer 1 was not counted");
    HttpResponse<String> missing = http.get("/nope");
    assertEquals(404, missing.statusCode());
    assertErrorJson(missing.body(), "invalid_request_error");
  }

  @Test
  void clientDisconnectCancelsTheStream() throws Exception {
    try (HttpFixture slow = new HttpFixture(new FakeBackend(1024, false).decodeDelayMillis(20), new EngineConfig(2, 4),
        HttpFixture.options())) {
      HttpResponse<InputStream> response = slow.client.send(
          slow.postRequest(question("long", ",\"max_tokens\":90,\"stream\":true"), null),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, response.statusCode());
      InputStream in = response.body();
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      assertTrue(reader.readLine().startsWith("data: "));
      assertEquals(1, slow.server.engine().activeCount());
      in.close();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
      while (slow.server.engine().activeCount() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      // the whole answer would take 90 * 20 ms = 1.8 s
      assertEquals(0, slow.server.engine().activeCount(), "the slot was not freed within 1 s of the disconnect");
    }
  }

  @Test
  void clientDisconnectCancelsANonStreamingRequest() throws Exception {
    try (HttpFixture slow = new HttpFixture(new FakeBackend(1024, false).decodeDelayMillis(20), new EngineConfig(2, 4),
        HttpFixture.options())) {
      String body = question("long", ",\"max_tokens\":200");
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", slow.server.port())) {
        socket.getOutputStream().write(post("127.0.0.1:" + slow.server.port(), null, "application/json", body)
            .getBytes(StandardCharsets.UTF_8));
        long started = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (slow.server.engine().activeCount() == 0 && System.nanoTime() < started) Thread.sleep(5);
        assertEquals(1, slow.server.engine().activeCount(), "the request is generating");
      } // the client gives up: its socket closes
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
      while (slow.server.engine().activeCount() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      // the whole answer would take 200 * 20 ms = 4 s
      assertEquals(0, slow.server.engine().activeCount(), "the slot was not freed within 1 s of the disconnect");
      // and the server still answers others
      assertEquals(200, slow.post(question("hi", ",\"max_tokens\":2")).statusCode());
    }
  }

  @Test
  void drainFinishesInFlightStreamsAndRefusesNewRequests() throws Exception {
    try (HttpFixture slow = new HttpFixture(new FakeBackend(1024, false).decodeDelayMillis(10), new EngineConfig(2, 4),
        HttpFixture.options())) {
      HttpResponse<InputStream> stream = slow.client.send(
          slow.postRequest(question("long", ",\"max_tokens\":60,\"stream\":true"), null),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, stream.statusCode());
      CompletableFuture<Integer> drained = CompletableFuture.supplyAsync(() -> {
        try {
          return slow.server.drain(java.time.Duration.ofSeconds(10));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (!slow.server.draining() && System.nanoTime() < until) Thread.sleep(2);
      HttpResponse<String> refused = slow.post(question("new", ",\"max_tokens\":2"));
      assertEquals(503, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("shutting_down"), refused.body());
      HttpResponse<String> health = slow.get("/health");
      assertEquals(503, health.statusCode());
      assertTrue(health.body().contains("\"draining\""), health.body());
      String body = new String(stream.body().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(body.strip().endsWith("data: [DONE]"), body);
      assertTrue(body.contains("\"finish_reason\":\"length\""), "the stream ran to its end: " + body);
      assertEquals(0, drained.get(10, TimeUnit.SECONDS), "nothing had to be cancelled");
    }
  }

  @Test
  void drainPastItsDeadlineCancelsButStillEndsStreamsCleanly() throws Exception {
    try (HttpFixture slow = new HttpFixture(new FakeBackend(1024, false).decodeDelayMillis(20), new EngineConfig(2, 4),
        HttpFixture.options())) {
      HttpResponse<InputStream> stream = slow.client.send(
          slow.postRequest(question("long", ",\"max_tokens\":500,\"stream\":true"), null),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, stream.statusCode());
      long start = System.nanoTime();
      assertEquals(1, slow.server.drain(java.time.Duration.ofMillis(300)));
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "drain keeps to its deadline");
      String body = new String(stream.body().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(body.strip().endsWith("data: [DONE]"), body);
      assertTrue(body.contains("\"finish_reason\":\"cancelled\""), body);
    }
  }

  @Test
  void apiKeyIsRequiredWhenSet() throws Exception {
    try (HttpFixture keyed = new HttpFixture(new FakeBackend(), new EngineConfig(1, 4),
        HttpFixture.options().withApiKey("s3cret"))) {
      String body = question("hi", ",\"max_tokens\":2");
      HttpResponse<String> none = keyed.post(body);
      assertEquals(401, none.statusCode());
      assertErrorJson(none.body(), "invalid_request_error");
      assertEquals(401, keyed.post(body, "Bearer wrong").statusCode());
      assertEquals(200, keyed.post(body, "Bearer s3cret").statusCode());
      assertEquals(200, keyed.get("/health").statusCode());
    }
  }

  @Test
  void fullQueueIs429WithRetryAfter() throws Exception {
    Semaphore gate = new Semaphore(0);
    try (HttpFixture busy = new HttpFixture(new FakeBackend().gate(gate), new EngineConfig(1, 1),
        HttpFixture.options())) {
      String body = question("hi", ",\"max_tokens\":2");
      CompletableFuture<HttpResponse<String>> first = busy.client.sendAsync(busy.postRequest(body, null),
          HttpResponse.BodyHandlers.ofString());
      awaitTrue(() -> busy.backend.waitingAtGate() == 1);
      CompletableFuture<HttpResponse<String>> second = busy.client.sendAsync(busy.postRequest(body, null),
          HttpResponse.BodyHandlers.ofString());
      awaitTrue(() -> busy.server.engine().queueDepth() == 1);
      HttpResponse<String> rejected = busy.post(body);
      assertEquals(429, rejected.statusCode());
      assertEquals("1", rejected.headers().firstValue("Retry-After").orElse(null));
      assertErrorJson(rejected.body(), "rate_limit_error");
      gate.release();
      assertEquals(200, first.get(10, TimeUnit.SECONDS).statusCode());
      assertEquals(200, second.get(10, TimeUnit.SECONDS).statusCode());
    }
  }

  private static void assertBadRequest(String body, String param) throws Exception {
    HttpResponse<String> response = http.post(body);
    assertEquals(400, response.statusCode(), "body " + abbreviate(body) + " -> " + response.body());
    JsonNode error = assertErrorJson(response.body(), "invalid_request_error");
    assertEquals(param, error.get("param").isNull() ? null : error.get("param").asText(), response.body());
  }

  private static JsonNode assertErrorJson(String body, String type) throws Exception {
    JsonNode error = parse(body).get("error");
    assertNotNull(error, body);
    assertEquals(type, error.get("type").asText(), body);
    assertFalse(error.get("message").asText().isBlank());
    assertTrue(error.has("param") && error.has("code"), body);
    assertFalse(body.contains("\tat ") || body.contains("Exception"), "stack trace in " + body);
    return error;
  }

  private static List<String> dataLines(String sse) {
    List<String> data = new ArrayList<>();
    for (String event : sse.split("\n\n")) {
      if (event.isBlank()) {
        continue;
      }
      assertTrue(event.startsWith("data: "), "not an SSE data event: " + event);
      data.add(event.substring(6));
    }
    return data;
  }

  private static String abbreviate(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached in 10 s");
      }
      Thread.sleep(2);
    }
  }
}
