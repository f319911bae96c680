package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.awt.Color;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.TestImages;
import org.moellava.serve.http.images.ImageUrlOptions;

/** {@code --allow-image-urls} through the real server: off by default, and when on the fetched image is the image. */
@Timeout(60)
class ImageUrlServeTest {
  /** Greedy, with log probabilities: they depend on the image features even where the fake's tokens do not. */
  private static final String GREEDY = ",\"temperature\":0,\"max_tokens\":6,\"logprobs\":true,\"top_logprobs\":3";
  private HttpServer images;
  private final AtomicInteger hits = new AtomicInteger();
  private byte[] red;
  private byte[] blue;

  @BeforeEach
  void start() throws Exception {
    red = TestImages.png(TestImages.solid(40, 40, Color.RED));
    blue = TestImages.png(TestImages.solid(40, 40, Color.BLUE));
    images = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    images.createContext("/red.png", exchange -> {
      hits.incrementAndGet();
      exchange.getResponseHeaders().add("Content-Type", "image/png");
      exchange.sendResponseHeaders(200, red.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(red);
      }
    });
    images.start();
  }

  @AfterEach
  void stop() {
    images.stop(0);
  }

  private String urlRequest(String url) {
    return "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
        + HttpFixture.quote(url) + "}},{\"type\":\"text\",\"text\":\"what colour?\"}]}]" + GREEDY + "}";
  }

  private String redUrl() {
    return "http://127.0.0.1:" + images.getAddress().getPort() + "/red.png";
  }

  @Test
  void withoutTheOptionAnHttpUrlIsRefusedAndNothingIsFetched() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(2, 4), HttpFixture.options())) {
      HttpResponse<String> response = http.post(urlRequest(redUrl()));
      assertEquals(400, response.statusCode(), response.body());
      JsonNode error = HttpFixture.JSON.readTree(response.body()).get("error");
      assertEquals("unsupported_image_url", error.get("code").asText());
      assertEquals("messages[0].content[0].image_url.url", error.get("param").asText());
      assertTrue(error.get("message").asText().contains("--allow-image-urls"), response.body());
    }
    assertEquals(0, hits.get());
  }

  @Test
  void withTheOptionTheFetchedImageAnswersAsItsDataUrlDoes() throws Exception {
    ImageUrlOptions trusting = ImageUrlOptions.publicOnly().withTrustedAddresses(
        Set.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), images.getAddress().getPort())));
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(2, 4),
        HttpFixture.options().withImageUrls(trusting))) {
      HttpResponse<String> fetched = http.post(urlRequest(redUrl()));
      assertEquals(200, fetched.statusCode(), fetched.body());
      assertEquals(1, hits.get());
      String viaUrl = content(fetched);
      String viaData = content(http.post(HttpFixture.withImage(red, "what colour?", GREEDY)));
      String otherImage = content(http.post(HttpFixture.withImage(blue, "what colour?", GREEDY)));
      assertEquals(viaData, viaUrl);
      assertNotEquals(otherImage, viaUrl, "the fake model's answer depends on the image, so the check can fail");
    }
  }

  @Test
  void withTheOptionInsideAddressesAreStillRefused() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(2, 4),
        HttpFixture.options().withImageUrls(ImageUrlOptions.publicOnly()))) {
      HttpResponse<String> response = http.post(urlRequest(redUrl()));
      assertEquals(400, response.statusCode(), response.body());
      JsonNode error = HttpFixture.JSON.readTree(response.body()).get("error");
      assertEquals("image_url_refused", error.get("code").asText(), response.body());
      assertTrue(error.get("message").asText().contains("loopback"), response.body());
      HttpResponse<String> ftp = http.post(urlRequest("ftp://example.com/red.png"));
      assertEquals(400, ftp.statusCode(), ftp.body());
      assertTrue(ftp.body().contains("data:, http: or https:"), ftp.body());
    }
    assertEquals(0, hits.get());
  }

  private static String content(HttpResponse<String> response) throws Exception {
    assertEquals(200, response.statusCode(), response.body());
    JsonNode choice = HttpFixture.JSON.readTree(response.body()).at("/choices/0");
    return choice.at("/message/content").asText() + " " + choice.get("logprobs");
  }
}
