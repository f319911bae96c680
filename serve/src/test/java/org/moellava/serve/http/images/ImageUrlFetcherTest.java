package org.moellava.serve.http.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.http.ApiException;

/** Fetching image URLs: public addresses only (also after redirects), within the byte, time and concurrency limits. */
@Timeout(60)
class ImageUrlFetcherTest {
  private static final byte[] IMAGE = "pretend this is a PNG".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final String PARAM = "messages[0].content[0].image_url.url";

  private HttpServer images;
  private HttpServer inside;
  private final AtomicInteger imageHits = new AtomicInteger();
  private final AtomicInteger insideHits = new AtomicInteger();
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch slowStarted = new CountDownLatch(1);

  @BeforeEach
  void start() throws IOException {
    images = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    inside = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    images.createContext("/cat.png", exchange -> {
      imageHits.incrementAndGet();
      exchange.sendResponseHeaders(200, IMAGE.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(IMAGE);
      }
    });
    images.createContext("/big.png", exchange -> {
      exchange.sendResponseHeaders(200, 0); // chunked: no Content-Length to refuse up front
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(new byte[4096]);
      }
    });
    images.createContext("/missing.png", exchange -> {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
    });
    images.createContext("/slow.png", exchange -> {
      slowStarted.countDown();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.sendResponseHeaders(200, IMAGE.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(IMAGE);
      }
    });
    images.createContext("/redirect", exchange -> {
      exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + inside.getAddress().getPort() + "/x");
      exchange.sendResponseHeaders(302, -1);
      exchange.close();
    });
    inside.createContext("/", exchange -> {
      insideHits.incrementAndGet();
      exchange.sendResponseHeaders(200, IMAGE.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(IMAGE);
      }
    });
    images.setExecutor(Executors.newCachedThreadPool());
    images.start();
    inside.start();
  }

  @AfterEach
  void stop() {
    release.countDown();
    images.stop(0);
    inside.stop(0);
  }

  /** Fetches that may reach the test's image server (as an internal image store) and nothing else inside. */
  private ImageUrlFetcher trusting(long timeoutMillis, int concurrent) {
    ImageUrlOptions options = new ImageUrlOptions(true, timeoutMillis, 3, concurrent,
        Set.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), images.getAddress().getPort())));
    return new ImageUrlFetcher(options, 1024, 1);
  }

  private String at(HttpServer server, String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  @Test
  void aTrustedAddressIsFetched() throws Exception {
    try (ImageUrlFetcher fetcher = trusting(5_000, 4)) {
      assertArrayEquals(IMAGE, fetcher.fetch(URI.create(at(images, "/cat.png")), PARAM));
      assertEquals(1, imageHits.get());
    }
  }

  @Test
  void loopbackPrivateAndLinkLocalAddressesAreRefusedBeforeAnyConnection() throws Exception {
    int port = images.getAddress().getPort();
    try (ImageUrlFetcher fetcher = new ImageUrlFetcher(ImageUrlOptions.publicOnly(), 1024, 1)) {
      for (String url : new String[] {"http://127.0.0.1:" + port + "/cat.png", "http://localhost:" + port + "/cat.png",
          "http://[::1]:" + port + "/cat.png", "http://[::ffff:127.0.0.1]:" + port + "/cat.png",
          "http://169.254.169.254/latest/meta-data/", "https://10.1.2.3/cat.png", "http://0.0.0.0:" + port + "/"}) {
        ApiException e = assertThrows(ApiException.class, () -> fetcher.fetch(URI.create(url), PARAM), url);
        assertEquals(400, e.status(), url);
        assertEquals("image_url_refused", e.code(), url);
        assertEquals(PARAM, e.param());
        assertTrue(e.getMessage().contains("public addresses only"), e.getMessage());
        if (url.contains("localhost")) {
          assertTrue(e.getMessage().matches("image URL host localhost resolves to \\S+, a loopback address; .*"),
              e.getMessage());
        }
      }
    }
    assertEquals(0, imageHits.get(), "no refused URL may reach the server");
  }

  @Test
  void aRedirectToAnInsideAddressIsRefused() throws Exception {
    try (ImageUrlFetcher fetcher = trusting(5_000, 4)) {
      ApiException e = assertThrows(ApiException.class,
          () -> fetcher.fetch(URI.create(at(images, "/redirect")), PARAM));
      assertEquals("image_url_refused", e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("image URL host 127.0.0.1 is a loopback address"), e.getMessage());
    }
    assertEquals(0, insideHits.get(), "the redirect target must never be connected to");
  }

  @Test
  void anImageOverTheByteLimitIsRefused() throws Exception {
    try (ImageUrlFetcher fetcher = trusting(5_000, 4)) {
      ApiException e = assertThrows(ApiException.class, () -> fetcher.fetch(URI.create(at(images, "/big.png")), PARAM));
      assertEquals("image_too_large", e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("1024 bytes"), e.getMessage());
    }
  }

  @Test
  void anErrorStatusIsAFailedFetch() throws Exception {
    try (ImageUrlFetcher fetcher = trusting(5_000, 4)) {
      ApiException e = assertThrows(ApiException.class,
          () -> fetcher.fetch(URI.create(at(images, "/missing.png")), PARAM));
      assertEquals(400, e.status());
      assertEquals("image_fetch_failed", e.code());
      assertTrue(e.getMessage().contains("HTTP status 404"), e.getMessage());
    }
  }

  @Test
  void aSlowServerIsCutAtTheTimeLimit() throws Exception {
    try (ImageUrlFetcher fetcher = trusting(500, 4)) {
      long start = System.nanoTime();
      ApiException e = assertThrows(ApiException.class,
          () -> fetcher.fetch(URI.create(at(images, "/slow.png")), PARAM));
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertEquals("image_fetch_failed", e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("no answer within 500 ms"), e.getMessage());
      assertTrue(millis < 5_000, "cut after " + millis + " ms");
    }
  }

  @Test
  void fetchesOverTheConcurrencyLimitAreAnswered503() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (ImageUrlFetcher fetcher = trusting(10_000, 1)) {
      Future<byte[]> slow = pool.submit(() -> fetcher.fetch(URI.create(at(images, "/slow.png")), PARAM));
      assertTrue(slowStarted.await(10, TimeUnit.SECONDS));
      ApiException e = assertThrows(ApiException.class,
          () -> fetcher.fetch(URI.create(at(images, "/cat.png")), PARAM));
      assertEquals(503, e.status());
      assertEquals("server_busy", e.code());
      release.countDown();
      assertArrayEquals(IMAGE, slow.get(10, TimeUnit.SECONDS));
      assertArrayEquals(IMAGE, fetcher.fetch(URI.create(at(images, "/cat.png")), PARAM), "the slot is free again");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void otherSchemesAndUserInfoAreRefused() throws Exception {
    try (ImageUrlFetcher fetcher = trusting(5_000, 4)) {
      for (String url : new String[] {"ftp://example.com/cat.png", "file:///etc/passwd",
          "http://user:secret@example.com/cat.png"}) {
        ApiException e = assertThrows(ApiException.class, () -> fetcher.fetch(URI.create(url), PARAM), url);
        assertEquals("image_url_refused", e.code(), url);
      }
    }
  }
}
