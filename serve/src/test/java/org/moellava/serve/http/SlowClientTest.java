package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.moellava.serve.http.HttpFixture.question;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;

/**
 * Slow and numerous clients (issue 18): bodies that trickle get 408 at the end of the grace period while others are
 * served, a body that keeps the minimum rate is served however many packets it takes, a full set of pending bodies
 * sheds the slowest (else 503 at once), a stalled body meets the idle timeout, past the connection limit requests get
 * a quick 503 while {@code /health} is answered.
 */
@Timeout(60)
class SlowClientTest {
  private static final long GRACE_MILLIS = 1_000;
  private static final long MIN_RATE = 1_024;

  private static HttpFixture server(ServerOptions.ClientLimits limits) {
    return new HttpFixture(new FakeBackend(), new EngineConfig(4, 16),
        HttpFixture.options().withClientLimits(limits));
  }

  private static ServerOptions.ClientLimits limits() {
    return ServerOptions.ClientLimits.defaults().withBodyRate(GRACE_MILLIS, MIN_RATE);
  }

  @Test
  void tricklingBodiesGet408AtTheEndOfTheGraceWhileANormalRequestIsServed() throws Exception {
    try (HttpFixture http = server(limits())) {
      List<CompletableFuture<Answer>> trickles = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        trickles.add(CompletableFuture.supplyAsync(() -> trickle(http.server.port(), 200)));
      }
      Thread.sleep(300); // the trickles are being read
      long start = System.nanoTime();
      HttpResponse<String> normal = http.post(question("hi", ",\"max_tokens\":4"));
      long normalMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(200, normal.statusCode(), normal.body());
      assertTrue(normalMillis < 1_000, "a normal request took " + normalMillis + " ms beside 3 trickles");
      assertEquals(200, http.get("/health").statusCode());
      // bound: the grace, plus one sweep, plus scheduling slack
      long bound = GRACE_MILLIS + BoundedBody.SWEEP_MILLIS + 700;
      for (CompletableFuture<Answer> f : trickles) {
        Answer a = f.get(10, TimeUnit.SECONDS);
        assertEquals(408, a.status, a.raw);
        assertTrue(a.closed, "the connection is closed after the 408: " + a.raw);
        assertTrue(a.millis >= GRACE_MILLIS && a.millis <= bound, "408 after " + a.millis + " ms, bound " + bound);
        JsonNode error = HttpFixture.parse(a.body()).get("error");
        assertEquals("request_timeout", error.get("code").asText(), a.raw);
        assertEquals("invalid_request_error", error.get("type").asText(), a.raw);
        assertTrue(error.get("message").asText().startsWith("request body too slow"), a.raw);
      }
      assertEquals(0, http.server.engine().activeCount());
      String metrics = http.get("/metrics").body();
      assertTrue(metrics.contains("moellava_slow_bodies_total{outcome=\"timed_out\"} 3.0"), metrics);
      assertTrue(metrics.contains("moellava_request_latency_seconds_count{status=\"408\"} 3"), metrics);
    }
  }

  @Test
  void aBodyThatKeepsTheMinimumRateIsServedAcrossManyPackets() throws Exception {
    try (HttpFixture http = server(limits())) {
      byte[] body = (" ".repeat(3000) + question("a body sent in pieces", ",\"max_tokens\":3"))
          .getBytes(StandardCharsets.UTF_8);
      // 100 bytes every 50 ms: 2 KB/s, above the 1 KB/s minimum, and longer (1.5 s) than the grace
      int pieces = 0;
      long start = System.nanoTime();
      try (Socket socket = new Socket("127.0.0.1", http.server.port())) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(head(http.server.port(), body.length, true).getBytes(StandardCharsets.US_ASCII));
        for (int off = 0; off < body.length; off += 100, pieces++) {
          out.write(body, off, Math.min(100, body.length - off));
          out.flush();
          Thread.sleep(50);
        }
        Answer a = Answer.read(socket, start);
        assertEquals(200, a.status, a.raw);
        assertTrue(HttpFixture.parse(a.body()).has("usage"), a.raw);
      }
      assertTrue(pieces >= 30, pieces + " pieces");
    }
  }

  @Test
  void chunkedBodyOverTheLimitIs413EvenWhenItArrivesInPieces() throws Exception {
    try (HttpFixture http = server(limits()); Socket socket = new Socket("127.0.0.1", http.server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      int port = http.server.port();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: "
          + "application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] piece = ("8000\r\n" + " ".repeat(0x8000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      long start = System.nanoTime();
      try {
        for (int i = 0; i < 12; i++) { // 12 x 32 KiB > 256 KiB
          out.write(piece);
          out.flush();
          Thread.sleep(20);
        }
      } catch (IOException closedEarly) {
        // the server answered and closed before all pieces were sent
      }
      Answer a = Answer.read(socket, start);
      assertEquals(413, a.status, a.raw);
      assertEquals("request_too_large", HttpFixture.parse(a.body()).get("error").get("code").asText());
    }
  }

  @Test
  void aStalledBodyMeetsTheIdleTimeout() throws Exception {
    ServerOptions.ClientLimits limits = ServerOptions.ClientLimits.defaults().withBodyRate(30_000, MIN_RATE)
        .withIdleTimeoutMillis(500);
    try (HttpFixture http = server(limits); Socket socket = new Socket("127.0.0.1", http.server.port())) {
      socket.setSoTimeout(10_000);
      long start = System.nanoTime();
      socket.getOutputStream().write((head(http.server.port(), 100, false) + "{").getBytes(StandardCharsets.US_ASCII));
      Answer a = Answer.read(socket, start);
      assertTrue(a.millis >= 400 && a.millis < 3_000, "answered after " + a.millis + " ms");
      assertEquals(408, a.status, a.raw);
      assertEquals("request_timeout", HttpFixture.parse(a.body()).get("error").get("code").asText(), a.raw);
    }
  }

  @Test
  void fullPendingBodiesShedTheSlowestElseRefuse503AtOnce() throws Exception {
    ServerOptions.ClientLimits limits = ServerOptions.ClientLimits.defaults().withBodyRate(30_000, MIN_RATE)
        .withMaxPendingBodies(2);
    try (HttpFixture http = server(limits)) {
      int port = http.server.port();
      CompletableFuture<Answer> t1 = CompletableFuture.supplyAsync(() -> trickle(port, 200));
      CompletableFuture<Answer> t2 = CompletableFuture.supplyAsync(() -> trickle(port, 200));
      ChatServerTest.awaitTrue(() -> pendingBodies(http) == 2);
      Thread.sleep(BoundedBody.SHED_MIN_AGE_MILLIS + 200); // both old enough to be shed, and behind 1 KB/s
      // a body in two packets needs a slot: it takes one from a trickle
      Answer split = splitRequest(port, question("split", ",\"max_tokens\":2"));
      assertEquals(200, split.status, split.raw);
      Answer shed = CompletableFuture.anyOf(t1, t2).thenApply(Answer.class::cast).get(5, TimeUnit.SECONDS);
      assertEquals(408, shed.status, shed.raw);
      assertTrue(shed.raw.contains("shed under load"), shed.raw);

      // two fresh trickles take the slots (the second sheds the remaining old one); none is old enough to be shed
      CompletableFuture<Answer> t3 = CompletableFuture.supplyAsync(() -> trickle(port, 200));
      ChatServerTest.awaitTrue(() -> pendingBodies(http) == 2);
      CompletableFuture<Answer> t4 = CompletableFuture.supplyAsync(() -> trickle(port, 200));
      Answer remaining = (t1.isDone() ? t2 : t1).get(5, TimeUnit.SECONDS);
      assertEquals(408, remaining.status, remaining.raw);
      ChatServerTest.awaitTrue(() -> pendingBodies(http) == 2);
      long start = System.nanoTime();
      Answer refused = splitRequest(port, question("refused", ",\"max_tokens\":2"));
      long refusedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(503, refused.status, refused.raw);
      assertTrue(refused.raw.toLowerCase(Locale.ROOT).contains("retry-after: 1"), refused.raw);
      JsonNode error = HttpFixture.parse(refused.body()).get("error");
      assertEquals("server_busy", error.get("code").asText());
      assertEquals("server_error", error.get("type").asText());
      assertTrue(refusedMillis < 1_000, "503 after " + refusedMillis + " ms");
      // a body that is all there with its headers needs no slot
      assertEquals(200, http.post(question("whole", ",\"max_tokens\":2")).statusCode());
      assertEquals(200, http.get("/health").statusCode());
      assertTrue(!t3.isDone() && !t4.isDone(), "the young trickles are still being read");
    }
  }

  @Test
  void pastTheConnectionLimitRequestsGetAQuick503ButHealthIsAnswered() throws Exception {
    ServerOptions.ClientLimits limits = limits().withMaxConnections(4);
    try (HttpFixture http = server(limits)) {
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 6; i++) idle.add(new Socket("127.0.0.1", http.server.port()));
        ChatServerTest.awaitTrue(() -> openConnections(http) >= 6);
        long start = System.nanoTime();
        HttpResponse<String> refused = http.post(question("hi", ",\"max_tokens\":2"));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(503, refused.statusCode(), refused.body());
        assertEquals("server_busy", HttpFixture.parse(refused.body()).get("error").get("code").asText());
        assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
        assertTrue(millis < 1_000, "503 after " + millis + " ms");
        assertEquals(200, http.get("/health").statusCode());
        // once silent for a second, an idle connection is closed to make room
        Thread.sleep(OpenConnections.SHED_MIN_IDLE_MILLIS + 200);
        HttpResponse<String> admitted = http.post(question("hi", ",\"max_tokens\":2"));
        assertEquals(200, admitted.statusCode(), admitted.body());
        int closedByServer = 0;
        for (Socket s : idle) {
          s.setSoTimeout(200);
          try {
            if (s.getInputStream().read() < 0) closedByServer++;
          } catch (java.net.SocketTimeoutException stillOpen) {
            // not this one
          } catch (IOException reset) {
            closedByServer++;
          }
        }
        assertTrue(closedByServer >= 1, "no silent connection was closed");
      } finally {
        for (Socket s : idle) s.close();
      }
      ChatServerTest.awaitTrue(() -> openConnections(http) <= 2);
      assertEquals(200, http.post(question("hi", ",\"max_tokens\":2")).statusCode());
    }
  }

  @Test
  void aBodyReadAsynchronouslyStillStreams() throws Exception {
    try (HttpFixture http = server(limits())) {
      Answer a = splitRequest(http.server.port(), question("stream", ",\"max_tokens\":5,\"stream\":true"));
      assertEquals(200, a.status, a.raw);
      assertTrue(a.raw.toLowerCase(Locale.ROOT).contains("content-type: text/event-stream"), a.raw);
      assertTrue(a.raw.strip().endsWith("data: [DONE]"), a.raw);
    }
  }

  /** curl sends bodies over 1 KB with Expect: 100-continue and waits for the 100 before sending the body. */
  @Test
  void expectContinueBodiesAreRead() throws Exception {
    try (HttpFixture http = server(limits()); Socket socket = new Socket("127.0.0.1", http.server.port())) {
      socket.setSoTimeout(10_000);
      byte[] body = (" ".repeat(2000) + question("continue", ",\"max_tokens\":2")).getBytes(StandardCharsets.UTF_8);
      OutputStream out = socket.getOutputStream();
      String head = head(http.server.port(), body.length, true);
      out.write((head.substring(0, head.length() - 2) + "Expect: 100-continue\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long start = System.nanoTime();
      Answer interim = Answer.read(socket, start);
      assertEquals(100, interim.status, interim.raw);
      out.write(body);
      out.flush();
      Answer a = Answer.read(socket, start);
      assertEquals(200, a.status, a.raw);
    }
  }

  @Test
  void aClientThatLeavesAfterAnAsynchronousBodyIsCancelled() throws Exception {
    try (HttpFixture slow = new HttpFixture(new FakeBackend(1024, false).decodeDelayMillis(20), new EngineConfig(2, 4),
        HttpFixture.options().withClientLimits(limits()))) {
      byte[] body = question("long", ",\"max_tokens\":200").getBytes(StandardCharsets.UTF_8);
      try (Socket socket = new Socket("127.0.0.1", slow.server.port())) {
        OutputStream out = socket.getOutputStream();
        out.write(head(slow.server.port(), body.length, false).getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, 10);
        out.flush();
        Thread.sleep(300);
        out.write(body, 10, body.length - 10);
        out.flush();
        ChatServerTest.awaitTrue(() -> slow.server.engine().activeCount() == 1);
      } // gone: the whole answer would take 200 * 20 ms = 4 s
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
      while (slow.server.engine().activeCount() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
      assertEquals(0, slow.server.engine().activeCount(), "the slot was not freed within 1 s of the disconnect");
      assertEquals(200, slow.post(question("hi", ",\"max_tokens\":2")).statusCode());
    }
  }

  @Test
  void closingTheServerEndsPendingBodies() throws Exception {
    HttpFixture http = server(limits().withBodyRate(30_000, MIN_RATE));
    CompletableFuture<Answer> t = CompletableFuture.supplyAsync(() -> trickle(http.server.port(), 200));
    ChatServerTest.awaitTrue(() -> pendingBodies(http) == 1);
    long start = System.nanoTime();
    http.close();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < 5_000, "close took " + millis + " ms");
    Answer a = t.get(5, TimeUnit.SECONDS);
    assertTrue(a.status == 503 || a.status == -1, a.raw); // answered "shutting down", or just closed
  }

  private static int pendingBodies(HttpFixture http) {
    return health(http).get("pending_bodies").asInt();
  }

  private static int openConnections(HttpFixture http) {
    return health(http).get("open_connections").asInt();
  }

  private static JsonNode health(HttpFixture http) {
    try {
      return HttpFixture.parse(http.get("/health").body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String head(int port, int contentLength, boolean close) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + contentLength + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
  }

  /** A client sending its 1000-byte body one byte every {@code everyMillis} until the server answers. */
  private static Answer trickle(int port, long everyMillis) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(20_000);
      long start = System.nanoTime();
      OutputStream out = socket.getOutputStream();
      out.write((head(port, 1000, false) + "{").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      for (int i = 0; i < 1000 && socket.getInputStream().available() == 0; i++) {
        Thread.sleep(everyMillis);
        if (socket.getInputStream().available() > 0) break;
        try {
          out.write(' ');
          out.flush();
        } catch (IOException closed) {
          break;
        }
      }
      return Answer.read(socket, start);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A complete request whose body comes in two packets 300 ms apart (so it is read asynchronously). */
  private static Answer splitRequest(int port, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      long start = System.nanoTime();
      OutputStream out = socket.getOutputStream();
      out.write(head(port, bytes.length, true).getBytes(StandardCharsets.US_ASCII));
      out.write(bytes, 0, 10);
      out.flush();
      Thread.sleep(300);
      try {
        out.write(bytes, 10, bytes.length - 10);
        out.flush();
      } catch (IOException refusedAlready) {
        // answered before the rest was sent
      }
      return Answer.read(socket, start);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A raw HTTP answer: status, the text, ms from the request's start, whether the server closed the connection. */
  static final class Answer {
    final int status;
    final String raw;
    final long millis;
    final boolean closed;

    private Answer(int status, String raw, long millis, boolean closed) {
      this.status = status;
      this.raw = raw;
      this.millis = millis;
      this.closed = closed;
    }

    String body() {
      return raw.substring(raw.indexOf("\r\n\r\n") + 4);
    }

    /** Reads one answer (Content-Length framed, else up to the close) and whether the connection then closes. */
    static Answer read(Socket socket, long startNanos) throws IOException {
      java.io.InputStream in = socket.getInputStream();
      StringBuilder head = new StringBuilder();
      int c;
      while (!head.toString().endsWith("\r\n\r\n") && (c = in.read()) >= 0) head.append((char) c);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
      int length = -1;
      for (String line : head.toString().split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).trim());
        }
      }
      String[] status = head.toString().split(" ", 3);
      int code = status.length > 1 ? Integer.parseInt(status[1]) : -1;
      if (code >= 100 && code < 200) return new Answer(code, head.toString(), millis, false); // interim: no body
      byte[] body = length < 0 ? in.readAllBytes() : in.readNBytes(length); // no length: up to the close
      boolean closed;
      try {
        closed = in.read() < 0;
      } catch (java.net.SocketTimeoutException stillOpen) {
        closed = false;
      } catch (IOException reset) {
        closed = true;
      }
      return new Answer(code, head + new String(body, StandardCharsets.UTF_8), millis, closed);
    }
  }
}
