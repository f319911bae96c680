package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;

/**
 * Loopback load: 16 clients x 200 requests, valid and invalid mixed; no valid request may fail, and the process's
 * resident memory after the run is within 10% of what it was after the first 1000 requests.
 */
@Tag("heavy")
@Timeout(600)
class LoadTest {
  private static final int CLIENTS = 16;
  private static final int REQUESTS = 200;

  @Test
  void noValidRequestFailsUnderLoad() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(8, 1024), HttpFixture.options())) {
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      AtomicInteger valid = new AtomicInteger();
      AtomicInteger invalid = new AtomicInteger();
      AtomicInteger finished = new AtomicInteger();
      long[] rssAfter1000 = {-1};
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        clients.add(pool.submit(() -> {
          for (int r = 0; r < REQUESTS; r++) {
            try {
              int kind = (client * REQUESTS + r) % 5;
              String body = switch (kind) {
                case 0 -> HttpFixture.question("q" + r, ",\"max_tokens\":4,\"temperature\":0");
                case 1 -> HttpFixture.question("stream " + r, ",\"max_tokens\":3,\"stream\":true,\"seed\":" + r);
                case 2 -> HttpFixture.question("s" + r, ",\"max_tokens\":5,\"temperature\":0.7,\"top_p\":0.9");
                case 3 -> "{\"messages\": [";
                default -> HttpFixture.question("x", ",\"max_tokens\":-1");
              };
              HttpResponse<String> response = http.post(body);
              if (kind < 3) {
                valid.incrementAndGet();
                boolean ok = response.statusCode() == 200
                    && (kind == 1 ? response.body().endsWith("data: [DONE]\n\n") : response.body().contains("usage"));
                if (!ok) {
                  failures.add("valid request got " + response.statusCode() + ": " + response.body());
                }
              } else {
                invalid.incrementAndGet();
                if (response.statusCode() != 400) {
                  failures.add("invalid request got " + response.statusCode());
                }
              }
            } catch (Exception e) {
              failures.add(e.toString());
            }
            if (finished.incrementAndGet() == 1000) {
              synchronized (rssAfter1000) {
                try {
                  rssAfter1000[0] = residentKilobytes();
                } catch (java.io.IOException e) {
                  failures.add("cannot read RSS: " + e);
                }
              }
            }
          }
        }));
      }
      for (Future<?> f : clients) {
        f.get();
      }
      pool.shutdown();
      assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + failures.peek());
      assertEquals(CLIENTS * REQUESTS, valid.get() + invalid.get());
      assertEquals(0, http.server.engine().activeCount());
      long rssEnd = residentKilobytes();
      System.out.printf("LoadTest RSS: %d kB after 1000 requests, %d kB after %d%n", rssAfter1000[0], rssEnd,
          CLIENTS * REQUESTS);
      synchronized (rssAfter1000) {
        assertTrue(rssAfter1000[0] > 0, "RSS after 1000 requests was recorded");
        assertTrue(rssEnd <= 1.10 * rssAfter1000[0], "RSS grew from " + rssAfter1000[0] + " kB after 1000 requests to "
            + rssEnd + " kB after " + CLIENTS * REQUESTS);
      }
    }
  }

  /** VmRSS of this process, from /proc/self/status, after a full collection (so heap garbage does not count). */
  private static long residentKilobytes() throws java.io.IOException {
    System.gc();
    for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
