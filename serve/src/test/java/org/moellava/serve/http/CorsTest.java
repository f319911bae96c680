package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.http.HttpFixture.question;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.error.InvalidInputException;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;

/** {@code --allowed-origins}: CORS preflights and cross-origin requests, allowed only for the configured origins. */
@Timeout(60)
class CorsTest {
  private static final String APP = "http://app.example:3000";
  private static final String EVIL = "https://evil.example";

  @Test
  void withoutTheOptionCrossOriginRequestsAreRefusedAndPreflightsFindNothing() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(1, 4), HttpFixture.options())) {
      String post = raw(http, post(http, APP));
      assertTrue(post.startsWith("HTTP/1.1 403") && post.contains("CORS is off"), post);
      String preflight = raw(http, preflight(http, APP));
      assertFalse(preflight.startsWith("HTTP/1.1 2"), preflight);
      assertFalse(headers(preflight).contains("access-control-allow-origin"), preflight);
    }
  }

  @Test
  void theConfiguredOriginIsAllowedAndNoOther() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(1, 4),
        HttpFixture.options().withAllowedOrigins(List.of(APP, "https://Other.example")))) {
      String preflight = raw(http, preflight(http, APP));
      assertTrue(preflight.startsWith("HTTP/1.1 204"), preflight);
      String head = headers(preflight);
      assertTrue(head.contains("access-control-allow-origin: " + APP), preflight);
      assertTrue(head.contains("access-control-allow-methods: get, post, options"), preflight);
      assertTrue(head.contains("access-control-allow-headers: authorization, content-type"), preflight);
      assertTrue(head.contains("access-control-max-age: 600"), preflight);
      assertTrue(head.contains("vary: origin"), preflight);

      String refusedPreflight = raw(http, preflight(http, EVIL));
      assertTrue(refusedPreflight.startsWith("HTTP/1.1 403"), refusedPreflight);
      assertFalse(headers(refusedPreflight).contains("access-control-allow-origin"), refusedPreflight);

      String allowed = raw(http, post(http, APP));
      assertTrue(allowed.startsWith("HTTP/1.1 200"), allowed);
      assertTrue(headers(allowed).contains("access-control-allow-origin: " + APP), allowed);
      String otherCase = raw(http, post(http, "https://other.example"));
      assertTrue(otherCase.startsWith("HTTP/1.1 200"), otherCase);

      String refused = raw(http, post(http, EVIL));
      assertTrue(refused.startsWith("HTTP/1.1 403") && refused.contains("not in --allowed-origins"), refused);
      assertFalse(headers(refused).contains("access-control-allow-origin"), refused);
      // a path, another port or another scheme is another origin
      assertTrue(raw(http, post(http, "http://app.example:3001")).startsWith("HTTP/1.1 403"));
      assertTrue(raw(http, post(http, "https://app.example:3000")).startsWith("HTTP/1.1 403"));
      // the DNS-rebinding check still applies to allowed origins
      String rebound = raw(http, post(http, APP).replace("Host: 127.0.0.1:" + http.server.port(),
          "Host: app.example:" + http.server.port()));
      assertTrue(rebound.startsWith("HTTP/1.1 403") && rebound.contains("Host header"), rebound);
    }
  }

  @Test
  void withAnApiKeyPreflightsNeedNoKeyButRequestsDo() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(1, 4),
        HttpFixture.options().withApiKey("s3cret").withAllowedOrigins(List.of("*")))) {
      String preflight = raw(http, preflight(http, EVIL));
      assertTrue(preflight.startsWith("HTTP/1.1 204"), preflight);
      assertTrue(headers(preflight).contains("access-control-allow-origin: " + EVIL), preflight);
      String noKey = raw(http, post(http, EVIL));
      assertTrue(noKey.startsWith("HTTP/1.1 401"), noKey);
      assertTrue(headers(noKey).contains("access-control-allow-origin: " + EVIL), "errors are readable: " + noKey);
      String keyed = raw(http, post(http, EVIL).replace("Connection: close", "Authorization: Bearer s3cret\r\n"
          + "Connection: close"));
      assertTrue(keyed.startsWith("HTTP/1.1 200"), keyed);
    }
  }

  @Test
  void anyOriginNeedsAnApiKeyAndOriginsAreChecked() {
    InvalidInputException any = assertThrows(InvalidInputException.class, () -> new HttpFixture(new FakeBackend(),
        new EngineConfig(1, 4), HttpFixture.options().withAllowedOrigins(List.of("*"))));
    assertTrue(any.getMessage().contains("API key"), any.getMessage());
    for (String bad : List.of("app.example", "http://app.example/", "http://app.example/path", "ftp://x", "")) {
      assertThrows(InvalidInputException.class, () -> HttpFixture.options().withAllowedOrigins(List.of(bad)), bad);
    }
  }

  private static String preflight(HttpFixture http, String origin) {
    return "OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + http.server.port() + "\r\nOrigin: " + origin
        + "\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type,authorization\r\n"
        + "Connection: close\r\n\r\n";
  }

  private static String post(HttpFixture http, String origin) {
    String body = question("hi", ",\"max_tokens\":2");
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + http.server.port() + "\r\nOrigin: " + origin
        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\nConnection: close\r\n\r\n" + body;
  }

  private static String headers(String response) {
    int end = response.indexOf("\r\n\r\n");
    return (end < 0 ? response : response.substring(0, end)).toLowerCase(Locale.ROOT);
  }

  private static String raw(HttpFixture http, String request) throws IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", http.server.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
