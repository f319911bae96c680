package org.moellava.serve.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import org.moellava.image.ImagePreprocessor;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.FakeTokenizer;
import org.moellava.serve.fake.ClipImages;

/** A server over the fake backend on a free loopback port, and a client for it. */
final class HttpFixture implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  final FakeBackend backend;
  final ChatServer server;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  HttpFixture(FakeBackend backend, EngineConfig engineConfig, ServerOptions options) {
    this(backend, engineConfig, options, ImagePreprocessor.AspectMode.CROP);
  }

  HttpFixture(FakeBackend backend, EngineConfig engineConfig, ServerOptions options,
      ImagePreprocessor.AspectMode aspectMode) {
    this.backend = backend;
    FakeTokenizer tokenizer = new FakeTokenizer();
    this.server = ChatServer.create(backend, tokenizer, tokenizer,
        ClipImages.decoder(FakeBackend.IMAGE_SIZE, options.maxImagePixels(), options.maxImageBytes(), aspectMode),
        engineConfig, options.withPort(0)).start();
  }

  static ServerOptions options() {
    return ServerOptions.defaults().withLimits(256 * 1024, 64 * 1024, 200 * 200);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  HttpResponse<String> post(String body) throws IOException, InterruptedException {
    return post(body, null);
  }

  HttpResponse<String> post(String body, String authorization) throws IOException, InterruptedException {
    return client.send(postRequest(body, authorization), HttpResponse.BodyHandlers.ofString());
  }

  HttpRequest postRequest(String body, String authorization) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri("/v1/chat/completions"))
        .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    return builder.build();
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String question(String text, String extra) {
    return "{\"messages\":[{\"role\":\"user\",\"content\":" + quote(text) + "}]" + extra + "}";
  }

  static String withImage(byte[] image, String text, String extra) {
    String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(image);
    return "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
        + quote(url) + "}},{\"type\":\"text\",\"text\":" + quote(text) + "}]}]" + extra + "}";
  }

  static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode parse(String body) throws IOException {
    return JSON.readTree(body);
  }

  @Override
  public void close() {
    server.close();
  }
}
