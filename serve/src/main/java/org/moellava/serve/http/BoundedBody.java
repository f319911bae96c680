package org.moellava.serve.http;

import io.javalin.http.Context;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads request bodies up to a limit (a larger one, declared or sent, is a 413) without holding a thread while their
 * bytes are awaited, so that clients that trickle a body cannot take the server's threads (issue 18).
 *
 * <p>{@link #start} reads what has already arrived without blocking; a body that is all there (a normal request)
 * is returned at once. Any other body becomes {@link Pending}: it takes one of {@link
 * ServerOptions.ClientLimits#maxPendingBodies()} slots and is read by servlet async IO (a {@link ReadListener} called
 * as bytes come), with no thread held in between. A sweep every {@link #SWEEP_MILLIS} ms answers 408 to the pending
 * bodies that fall behind the minimum rate ({@link ServerOptions.ClientLimits}); when the slots are full, a new body
 * sheds the pending body furthest behind that rate (grace not counted), else is refused 503 at once. Every body that
 * ends without being read in full gets {@code Connection: close}.
 */
final class BoundedBody implements AutoCloseable {
  /** How often pending bodies are checked against the minimum rate. */
  static final long SWEEP_MILLIS = 100;
  /** A pending body younger than this is never shed for another. */
  static final long SHED_MIN_AGE_MILLIS = 1_000;
  private static final int CHUNK = 16 * 1024;
  /** Request attribute: this request's body was abandoned part-way (answer with {@link #answerAndClose}). */
  private static final String ABANDONED = "moellava.body.abandoned";

  private final int maxBytes;
  private final long graceNanos;
  private final long minBytesPerSecond;
  private final int maxPending;
  private final int retryAfterSeconds;
  private final Executor workers;
  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
  private final AtomicInteger slots = new AtomicInteger();
  private final AtomicLong timedOut = new AtomicLong();
  private final AtomicLong shed = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final ScheduledExecutorService sweeper;

  /**
   * @param workers runs what follows a body that ends on the sweeper's thread (its 408 answer), so that writing it
   *     never delays the sweep
   */
  BoundedBody(ServerOptions options, Executor workers) {
    ServerOptions.ClientLimits limits = options.clientLimits();
    this.maxBytes = options.maxBodyBytes();
    this.graceNanos = TimeUnit.MILLISECONDS.toNanos(limits.bodyGraceMillis());
    this.minBytesPerSecond = limits.minBodyBytesPerSecond();
    this.maxPending = limits.maxPendingBodies();
    this.retryAfterSeconds = Math.max(1, options.retryAfterSeconds());
    this.workers = workers;
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "moellava-body-sweep");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    timer.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    this.sweeper = timer;
  }

  /**
   * The body of this request: {@link Read#body()} when it has all arrived already, else a {@link Pending} body whose
   * bytes are read asynchronously once {@link Read#arrive()} is called (inside {@code ctx.future}, which starts the
   * servlet's async mode). Throws 413 for a declared length over the limit and 503 when no slot is free.
   */
  Read start(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBytes) {
      throw tooLarge(ctx, declared + " bytes");
    }
    ServletInputStream in;
    ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.max(0, Math.min(declared, CHUNK)));
    try {
      in = ctx.req().getInputStream();
      if (declared == 0) return new Read(body.toByteArray(), null);
      byte[] chunk = null;
      int available;
      while ((declared < 0 || body.size() < declared) && (available = in.available()) > 0) {
        if (chunk == null) chunk = new byte[CHUNK];
        int n = in.read(chunk, 0, Math.min(available, chunk.length)); // available: does not block
        if (n < 0) return new Read(body.toByteArray(), null);
        if (body.size() + n > maxBytes) throw tooLarge(ctx, "more than " + maxBytes + " bytes");
        body.write(chunk, 0, n);
      }
    } catch (IOException e) {
      ctx.header("Connection", "close");
      throw ApiException.invalid(null, "invalid_body", "request body could not be read");
    }
    if (declared >= 0 && body.size() == declared) {
      return new Read(body.toByteArray(), null);
    }
    Pending p = new Pending(ctx, in, body);
    admit(ctx, p);
    return new Read(null, p);
  }

  /** How many bodies are being read asynchronously now. */
  int pendingCount() {
    return slots.get();
  }

  /** Bodies answered 408 for falling behind the minimum rate, so far. */
  long timedOut() {
    return timedOut.get();
  }

  /** Bodies answered 408 to make room for another request, so far. */
  long shed() {
    return shed.get();
  }

  /** Bodies refused 503 because no slot was free and none could be shed, so far. */
  long refused() {
    return refused.get();
  }

  /**
   * Sheds the pending body furthest behind the minimum rate (408), to make room for another request; false when no
   * pending body at least {@link #SHED_MIN_AGE_MILLIS} old is behind.
   */
  boolean shedOne() {
    long now = System.nanoTime();
    Pending worst = null;
    double worstDeficit = 0;
    for (Pending p : pending) {
      long age = now - p.startNanos;
      if (age < TimeUnit.MILLISECONDS.toNanos(SHED_MIN_AGE_MILLIS)) continue;
      double deficit = age / 1e9 * minBytesPerSecond - p.received;
      if (deficit > worstDeficit) {
        worst = p;
        worstDeficit = deficit;
      }
    }
    if (worst == null) return false;
    if (worst.fail(slow(worst, now, true))) shed.incrementAndGet();
    return true;
  }

  private void admit(Context ctx, Pending p) {
    for (int attempt = 0; attempt < 4; attempt++) {
      int used = slots.get();
      if (used < maxPending) {
        if (slots.compareAndSet(used, used + 1)) {
          pending.add(p);
          return;
        }
      } else if (!shedOne()) {
        break;
      }
    }
    refused.incrementAndGet();
    ctx.header("Connection", "close");
    throw ApiException.unavailable("too many request bodies are arriving at once (limit " + maxPending
        + "); retry later", retryAfterSeconds);
  }

  private void release(Pending p) {
    if (pending.remove(p)) slots.decrementAndGet();
  }

  /** Answers 408 to the pending bodies behind the minimum rate: at {@code t} after the grace, t * rate bytes. */
  private void sweep() {
    long now = System.nanoTime();
    for (Pending p : pending) {
      long late = now - p.startNanos - graceNanos;
      if (late > 0 && p.received < late / 1e9 * minBytesPerSecond) {
        if (p.fail(slow(p, now, false))) timedOut.incrementAndGet();
      }
    }
  }

  private ApiException slow(Pending p, long now, boolean shedding) {
    double seconds = (now - p.startNanos) / 1e9;
    String message = String.format(java.util.Locale.ROOT,
        "request body too slow: %d bytes in %.1f s; after %.1f s a body must arrive at %d bytes/s or more",
        p.received, seconds, graceNanos / 1e9, minBytesPerSecond);
    return timeout(shedding ? message + " (shed under load: the server is at its limit of bodies or connections)"
        : message);
  }

  private static ApiException timeout(String message) {
    return new ApiException(408, "invalid_request_error", null, "request_timeout", message);
  }

  private ApiException tooLarge(Context ctx, String size) {
    ctx.header("Connection", "close");
    return new ApiException(413, "invalid_request_error", null, "request_too_large",
        "request body is " + size + ", over the limit of " + maxBytes + " bytes");
  }

  /** Whether this request's body was abandoned while it was arriving asynchronously. */
  static boolean abandoned(Context ctx) {
    return Boolean.TRUE.equals(ctx.attribute(ABANDONED));
  }

  /**
   * Answers a request whose body was abandoned part-way, then closes its connection: the rest of the body will not
   * be read. Closing here, once the answer is written, rather than when the request completes is what Jetty would do
   * anyway (a connection with a read still pending is aborted), without its warning for each such request.
   */
  static void answerAndClose(Context ctx, int status, byte[] json) {
    org.eclipse.jetty.server.Request base = org.eclipse.jetty.server.Request.getBaseRequest(ctx.req());
    org.eclipse.jetty.io.EndPoint endPoint = base == null || base.getHttpChannel() == null ? null
        : base.getHttpChannel().getEndPoint();
    if (endPoint != null && !endPoint.isOpen()) return; // the client or a shutdown closed it: nobody to answer
    jakarta.servlet.http.HttpServletResponse res = ctx.res();
    res.setStatus(status);
    res.setContentType("application/json");
    res.setHeader("Connection", "close");
    res.setContentLength(json.length);
    try (jakarta.servlet.ServletOutputStream out = res.getOutputStream()) {
      out.write(json);
    } catch (IOException | RuntimeException gone) {
      // the client went away: nothing to answer
    }
    if (endPoint != null) endPoint.close();
  }

  /** Stops the sweep; bodies still pending are answered 503. */
  @Override
  public void close() {
    sweeper.shutdownNow();
    for (Pending p : pending) {
      p.fail(ApiException.unavailable("the server is shutting down", retryAfterSeconds));
    }
  }

  /** A body, complete or arriving. */
  static final class Read {
    private final byte[] body;
    private final Pending pending;

    private Read(byte[] body, Pending pending) {
      this.body = body;
      this.pending = pending;
    }

    /** The whole body when it had arrived already, else null. */
    byte[] body() {
      return body;
    }

    /** Starts reading the rest asynchronously (the request must be in async mode) and returns the whole body. */
    CompletableFuture<byte[]> arrive() {
      return pending.arrive();
    }
  }

  /** A body still arriving, read by the container's callbacks; ends once (body, error, 408 or shed). */
  final class Pending implements ReadListener {
    private final Context ctx;
    private final ServletInputStream in;
    private final ByteArrayOutputStream body;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    final long startNanos = System.nanoTime();
    volatile long received;
    private byte[] chunk;
    private boolean done; // guarded by this

    private Pending(Context ctx, ServletInputStream in, ByteArrayOutputStream body) {
      this.ctx = ctx;
      this.in = in;
      this.body = body;
      this.received = body.size();
    }

    CompletableFuture<byte[]> arrive() {
      synchronized (this) {
        if (done) return result;
      }
      try {
        in.setReadListener(this);
      } catch (RuntimeException e) {
        fail(ApiException.invalid(null, "invalid_body", "request body could not be read"));
      }
      return result;
    }

    @Override
    public void onDataAvailable() throws IOException {
      synchronized (this) {
        if (done) return;
        if (chunk == null) chunk = new byte[CHUNK];
        while (in.isReady()) {
          int n = in.read(chunk);
          if (n < 0) return; // onAllDataRead follows
          if (received + n > maxBytes) {
            fail(tooLarge(ctx, "more than " + maxBytes + " bytes"));
            return;
          }
          body.write(chunk, 0, n);
          received += n;
        }
      }
    }

    @Override
    public void onAllDataRead() {
      byte[] bytes;
      synchronized (this) {
        if (done) return;
        done = true;
        bytes = body.toByteArray();
      }
      release(this);
      result.complete(bytes);
    }

    @Override
    public void onError(Throwable t) {
      boolean stalled = false;
      for (Throwable c = t; c != null; c = c.getCause()) {
        if (c instanceof TimeoutException) stalled = true;
      }
      fail(stalled ? timeout("request body stalled: no data for the idle timeout")
          : ApiException.invalid(null, "invalid_body", "request body could not be read"));
    }

    /**
     * Ends this body with {@code error} (its connection is closed after the answer); false when it had ended. The
     * answer is written on a worker, not on the calling thread (the sweep, or a container callback).
     */
    boolean fail(ApiException error) {
      synchronized (this) {
        if (done) return false;
        done = true;
        ctx.attribute(ABANDONED, Boolean.TRUE);
      }
      release(this);
      try {
        workers.execute(() -> result.completeExceptionally(error));
      } catch (RuntimeException rejected) {
        result.completeExceptionally(error); // the pool is stopping: answer from here
      }
      return true;
    }
  }
}
