package org.moellava.serve.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A slow-body attacker on loopback: {@code count} connections, each sending a complete header block for a chat
 * completion with {@code Content-Length: 1000}, then one body byte every {@code byteEveryMillis}. A connection that
 * the server answers or closes is reopened after {@code reconnectMillis}, so about {@code count} stay open until
 * {@link #close()}. Counts what the server answered (status codes) and how each connection ended.
 */
final class SlowBodyClients implements AutoCloseable {
  static final int CONTENT_LENGTH = 1000;

  private final int port;
  private final long byteEveryMillis;
  private final long reconnectMillis;
  private final ScheduledThreadPoolExecutor timer;
  private final java.util.List<Slot> slots = new java.util.ArrayList<>();
  private volatile boolean closed;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger peakOpen = new AtomicInteger();
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong connectFailures = new AtomicLong();
  private final Map<String, AtomicLong> answers = new ConcurrentHashMap<>();
  /** Per status: the longest time, in ms, from a connection's headers to that answer. */
  private final Map<String, AtomicLong> longestAnswerMillis = new ConcurrentHashMap<>();

  SlowBodyClients(int port, int count, long byteEveryMillis, long reconnectMillis, long rampMillis) {
    this.port = port;
    this.byteEveryMillis = byteEveryMillis;
    this.reconnectMillis = reconnectMillis;
    this.timer = new ScheduledThreadPoolExecutor(8, r -> {
      Thread t = new Thread(r, "slow-body-client");
      t.setDaemon(true);
      return t;
    });
    for (int i = 0; i < count; i++) {
      Slot slot = new Slot();
      slots.add(slot);
      timer.schedule(slot, rampMillis * i / Math.max(1, count), TimeUnit.MILLISECONDS);
    }
  }

  int open() {
    return open.get();
  }

  int peakOpen() {
    return peakOpen.get();
  }

  long opened() {
    return opened.get();
  }

  /** How many answers with this status line code ("408", "503", ...) the server sent. */
  long answers(String status) {
    AtomicLong n = answers.get(status);
    return n == null ? 0 : n.get();
  }

  /** The longest time, in ms, from a connection's headers to an answer with this status. */
  long longestAnswerMillis(String status) {
    AtomicLong n = longestAnswerMillis.get(status);
    return n == null ? -1 : n.get();
  }

  String summary() {
    return "opened " + opened + " connections (peak " + peakOpen + " open at once), answers " + answers
        + ", closed without an answer " + resets + ", failed connects " + connectFailures;
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Slot slot : slots) {
      synchronized (slot) {
        slot.shut();
      }
    }
  }

  private final class Slot implements Runnable {
    private Socket socket;
    private long startedNanos;

    @Override
    public synchronized void run() {
      if (closed) {
        shut();
        return;
      }
      long next = byteEveryMillis;
      try {
        if (socket == null) {
          connect();
        } else if (socket.getInputStream().available() > 0) {
          answered();
          next = reconnectMillis;
        } else {
          socket.getOutputStream().write(' ');
          socket.getOutputStream().flush();
        }
      } catch (IOException e) {
        if (socket == null) {
          connectFailures.incrementAndGet();
        } else {
          resets.incrementAndGet();
          shut();
        }
        next = reconnectMillis;
      }
      if (!closed) {
        try {
          timer.schedule(this, next, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          shut();
        }
      } else {
        shut();
      }
    }

    private void connect() throws IOException {
      Socket s = new Socket();
      try {
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(2_000);
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port
            + "\r\nContent-Type: application/json\r\nContent-Length: " + CONTENT_LENGTH + "\r\n\r\n{";
        s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
      } catch (IOException e) {
        s.close();
        throw e;
      }
      socket = s;
      startedNanos = System.nanoTime();
      opened.incrementAndGet();
      peakOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
    }

    /** Reads the status line of the server's answer, counts it, and closes. */
    private void answered() throws IOException {
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n' && line.length() < 200) line.append((char) c);
      String[] parts = line.toString().split(" ");
      String status = parts.length > 1 ? parts[1] : "?";
      answers.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
      longestAnswerMillis.computeIfAbsent(status, k -> new AtomicLong()).accumulateAndGet(millis, Math::max);
      shut();
    }

    private void shut() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing anyway
        }
        socket = null;
        open.decrementAndGet();
      }
    }
  }
}
