package org.moellava.serve.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.fake.FakeBackend;

/**
 * Issue 18, item 1: 500 connections trickling a request body at 1 byte per 5 s for 60 s (each reopened 0.5 s after
 * the server answers or drops it) against the server with its default limits over the fake backend. A client sends
 * normal requests (short prompt, max_tokens 4) back to back, first against the idle server, then during the attack;
 * the attacked p99 must stay within 2x of the idle p99, no normal request may fail, and {@code /health} (probed every
 * 250 ms with a 2 s timeout) must answer 200 throughout.
 */
@Tag("heavy")
@Timeout(300)
class SlowBodyLoadTest {
  private static final int SLOW_CONNECTIONS = 500;
  private static final long ATTACK_MILLIS = 60_000;
  private static final long BYTE_EVERY_MILLIS = 5_000;
  private static final long IDLE_MILLIS = 15_000;

  @Test
  void fiveHundredSlowBodiesDoNotStarveNormalRequestsOrHealth() throws Exception {
    try (HttpFixture http = new HttpFixture(new FakeBackend(), new EngineConfig(8, 64), HttpFixture.options())) {
      normalLoop(http, 10_000); // warm-up (JIT, connection), so that the idle figures are not inflated by it
      Figures idle = normalLoop(http, IDLE_MILLIS);
      System.out.println("SlowBodyLoadTest idle:          " + idle);

      long attackStart = System.nanoTime();
      HealthProbe health = new HealthProbe(http);
      Figures attacked;
      String attack;
      try (SlowBodyClients slow = new SlowBodyClients(http.server.port(), SLOW_CONNECTIONS, BYTE_EVERY_MILLIS, 500,
          5_000)) {
        health.start();
        long rampUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (slow.open() < SLOW_CONNECTIONS * 9 / 10 && System.nanoTime() < rampUntil) Thread.sleep(50);
        System.out.println("SlowBodyLoadTest: " + slow.open() + " slow connections open after "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - attackStart) + " ms");
        long left = ATTACK_MILLIS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - attackStart);
        attacked = normalLoop(http, Math.max(left, 10_000));
        attack = slow.summary();
        health.stop();
      }
      System.out.println("SlowBodyLoadTest under attack:  " + attacked);
      System.out.println("SlowBodyLoadTest slow clients:  " + attack);
      System.out.println("SlowBodyLoadTest /health:       " + health);
      System.out.printf("SlowBodyLoadTest p99 under attack / idle: %.2f%n", attacked.p99() / idle.p99());

      assertEquals(0, idle.failures.size(), "idle failures: " + idle.failures);
      assertEquals(0, attacked.failures.size(), "normal requests failed under attack, first: "
          + attacked.failures.peek());
      assertTrue(health.failures.isEmpty(), "/health was not answered throughout: " + health.failures.size()
          + " failures, first: " + health.failures.peek());
      assertTrue(health.probes.get() >= ATTACK_MILLIS / 250 / 2, "too few /health probes: " + health);
      assertTrue(attacked.p99() <= 2 * idle.p99(), String.format(
          "p99 under attack %.2f ms > 2 x idle p99 %.2f ms", attacked.p99(), idle.p99()));
    }
  }

  /** Normal requests back to back for {@code millis}; latencies of all of them, failures included. */
  private static Figures normalLoop(HttpFixture http, long millis) {
    Figures figures = new Figures();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    for (int i = 0; System.nanoTime() < end; i++) {
      long start = System.nanoTime();
      try {
        HttpResponse<String> response = http.post(HttpFixture.question("hi " + i, ",\"max_tokens\":4"));
        if (response.statusCode() != 200 || !response.body().contains("\"usage\"")) {
          figures.failures.add(response.statusCode() + " " + response.body());
        }
      } catch (Exception e) {
        figures.failures.add(e.toString());
      }
      figures.latenciesNanos.add(System.nanoTime() - start);
    }
    return figures;
  }

  static final class Figures {
    final List<Long> latenciesNanos = new ArrayList<>();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    double p99() {
      return percentile(0.99);
    }

    double percentile(double p) {
      List<Long> sorted = new ArrayList<>(latenciesNanos);
      Collections.sort(sorted);
      if (sorted.isEmpty()) return Double.NaN;
      int index = (int) Math.ceil(p * sorted.size()) - 1;
      return sorted.get(Math.max(0, index)) / 1e6;
    }

    @Override
    public String toString() {
      return String.format("%d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d failed", latenciesNanos.size(),
          percentile(0.5), p99(), percentile(1.0), failures.size());
    }
  }

  /** GET /health every 250 ms with a 2 s timeout, on its own thread and connection. */
  static final class HealthProbe {
    private final HttpFixture http;
    private final java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    final AtomicLong probes = new AtomicLong();
    final AtomicLong slowestNanos = new AtomicLong();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private Thread thread;

    HealthProbe(HttpFixture http) {
      this.http = http;
    }

    void start() {
      thread = new Thread(() -> {
        while (running) {
          long start = System.nanoTime();
          try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(http.uri("/health"))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) failures.add(response.statusCode() + " " + response.body());
          } catch (Exception e) {
            failures.add(e.toString());
          }
          long took = System.nanoTime() - start;
          probes.incrementAndGet();
          slowestNanos.accumulateAndGet(took, Math::max);
          try {
            Thread.sleep(Math.max(0, 250 - TimeUnit.NANOSECONDS.toMillis(took)));
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "health-probe");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(5_000);
    }

    @Override
    public String toString() {
      return String.format("%d probes, %d failed, slowest %.1f ms", probes.get(), failures.size(),
          slowestNanos.get() / 1e6);
    }
  }
}
