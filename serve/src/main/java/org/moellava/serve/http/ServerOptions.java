package org.moellava.serve.http;

import org.moellava.error.InvalidInputException;
import org.moellava.serve.http.images.ImageUrlOptions;

/**
 * HTTP server settings.
 *
 * @param host interface to bind; 127.0.0.1 by default, {@code 0.0.0.0} opens the server to the network
 * @param port TCP port (0 picks a free one)
 * @param apiKey when not null, every {@code /v1/*} request needs {@code Authorization: Bearer <apiKey>}
 * @param maxBodyBytes largest request body; a larger one is answered 413
 * @param maxImageBytes largest encoded image; a larger one is answered 400
 * @param maxImagePixels largest image width * height, read from the header before decoding; over it: 400
 * @param defaultMaxTokens max_tokens when the request gives none (capped by the context left)
 * @param retryAfterSeconds the Retry-After of a 429 (queue full) or 503 (too many bodies or connections)
 * @param clientLimits what slow or numerous clients may hold: timeouts, body rate, bodies and connections at once
 * @param servedModelNames the names a request's {@code model} may give and {@code /v1/models} lists, the first the
 *     one answers carry; empty for the model's own id (vLLM's {@code --served-model-name})
 * @param allowedOrigins browser origins ({@code scheme://host[:port]}) allowed to call the server cross-origin
 *     (CORS); empty for none, {@code *} for any (only with an api key)
 * @param maxN the largest {@code n} (choices per request) a request may ask for
 * @param imageUrls whether {@code http(s)} image URLs are fetched (off by default) and within which limits
 */
public record ServerOptions(
    String host,
    int port,
    String apiKey,
    int maxBodyBytes,
    int maxImageBytes,
    long maxImagePixels,
    int defaultMaxTokens,
    int retryAfterSeconds,
    ClientLimits clientLimits,
    java.util.List<String> servedModelNames,
    java.util.List<String> allowedOrigins,
    int maxN,
    ImageUrlOptions imageUrls) {

  /** Default of {@link #maxN()}. */
  public static final int DEFAULT_MAX_N = 4;
  /** Largest {@link #maxN()} accepted. */
  public static final int MAX_N_LIMIT = 128;

  public ServerOptions {
    if (host == null || host.isBlank()) {
      throw new InvalidInputException("host must not be blank");
    }
    if (port < 0 || port > 65535) {
      throw new InvalidInputException("port must be in [0, 65535], got " + port);
    }
    if (apiKey != null && apiKey.isBlank()) {
      apiKey = null;
    }
    if (maxBodyBytes < 1 || maxImageBytes < 1 || maxImagePixels < 1 || defaultMaxTokens < 1
        || retryAfterSeconds < 0) {
      throw new InvalidInputException("server limits must be positive");
    }
    if (clientLimits == null) {
      clientLimits = ClientLimits.defaults();
    }
    servedModelNames = servedModelNames(servedModelNames);
    allowedOrigins = Cors.normalise(allowedOrigins == null ? java.util.List.of() : allowedOrigins);
    if (maxN < 1 || maxN > MAX_N_LIMIT) {
      throw new InvalidInputException("max n must be in [1, " + MAX_N_LIMIT + "], got " + maxN);
    }
    if (imageUrls == null) {
      imageUrls = ImageUrlOptions.off();
    }
  }

  private static java.util.List<String> servedModelNames(java.util.List<String> names) {
    if (names == null) {
      return java.util.List.of();
    }
    java.util.LinkedHashSet<String> unique = new java.util.LinkedHashSet<>();
    for (String name : names) {
      String trimmed = name == null ? "" : name.strip();
      if (trimmed.isEmpty()) {
        throw new InvalidInputException("served model names must not be blank");
      }
      if (!unique.add(trimmed)) {
        throw new InvalidInputException("served model name '" + trimmed + "' is given twice");
      }
    }
    return java.util.List.copyOf(unique);
  }

  /**
   * Loopback on port 8000, no api key, 20 MiB bodies, 10 MiB / 16 Mpixel images, 256 tokens, default
   * {@link ClientLimits}, the model's id as its name, no CORS, n up to {@link #DEFAULT_MAX_N}, no image URLs.
   */
  public static ServerOptions defaults() {
    return new ServerOptions("127.0.0.1", 8000, null, 20 << 20, 10 << 20, 4096L * 4096, 256, 1,
        ClientLimits.defaults(), java.util.List.of(), java.util.List.of(), DEFAULT_MAX_N, ImageUrlOptions.off());
  }

  public ServerOptions withHost(String newHost) {
    return new ServerOptions(newHost, port, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds, clientLimits, servedModelNames, allowedOrigins, maxN, imageUrls);
  }

  public ServerOptions withPort(int newPort) {
    return new ServerOptions(host, newPort, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds, clientLimits, servedModelNames, allowedOrigins, maxN, imageUrls);
  }

  public ServerOptions withApiKey(String newApiKey) {
    return new ServerOptions(host, port, newApiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds, clientLimits, servedModelNames, allowedOrigins, maxN, imageUrls);
  }

  public ServerOptions withLimits(int newMaxBodyBytes, int newMaxImageBytes, long newMaxImagePixels) {
    return new ServerOptions(host, port, apiKey, newMaxBodyBytes, newMaxImageBytes, newMaxImagePixels,
        defaultMaxTokens, retryAfterSeconds, clientLimits, servedModelNames, allowedOrigins, maxN, imageUrls);
  }

  public ServerOptions withClientLimits(ClientLimits newClientLimits) {
    return new ServerOptions(host, port, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds, newClientLimits, servedModelNames, allowedOrigins, maxN, imageUrls);
  }

  /** The names requests may use for the model (empty: the model's own id). */
  public ServerOptions withServedModelNames(java.util.List<String> names) {
    return new ServerOptions(host, port, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds, clientLimits, names, allowedOrigins, maxN, imageUrls);
  }

  /** The browser origins allowed cross-origin (CORS); empty turns CORS off. */
  public ServerOptions withAllowedOrigins(java.util.List<String> origins) {
    return new ServerOptions(host, port, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds, clientLimits, servedModelNames, origins, maxN, imageUrls);
  }

  public ServerOptions withMaxN(int newMaxN) {
    return new ServerOptions(host, port, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds, clientLimits, servedModelNames, allowedOrigins, newMaxN, imageUrls);
  }

  /** Whether and how {@code http(s)} image URLs are fetched ({@link ImageUrlOptions#off()} by default). */
  public ServerOptions withImageUrls(ImageUrlOptions options) {
    return new ServerOptions(host, port, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds, clientLimits, servedModelNames, allowedOrigins, maxN, options);
  }

  /**
   * What slow or numerous clients may hold, so that they cannot starve the others (issue 18). A request body is read
   * without holding a thread while its bytes are awaited; these limits bound how long and how many.
   *
   * <p>The body rate rule: a body that started {@code t} ms ago (its headers were read) must by then have sent at
   * least {@code (t - bodyGraceMillis) / 1000 * minBodyBytesPerSecond} bytes, or it is answered 408
   * ({@code request_timeout}) and its connection closed. So a body of {@code L} bytes has
   * {@code bodyGraceMillis + L / minBodyBytesPerSecond} to arrive in full: a normal request (a few KB) has about the
   * grace period, the largest allowed body (20 MiB) about 43 minutes at the default rate, and a client that trickles
   * (1 byte per 5 s) is cut at the end of the grace period. The rate is an average from the start of the body, so a
   * pause after a fast start is allowed; the check runs every 100 ms.
   *
   * @param idleTimeoutMillis the connector's idle timeout: a connection with nothing read or written for this long
   *     is closed (a body that stalls this long is answered 408). Default 30 s (Jetty's). A stream writes a
   *     keep-alive comment every 5 s, so it stays above that
   * @param bodyGraceMillis how long any body may take before the minimum rate applies. Default 10 s
   * @param minBodyBytesPerSecond the average rate a body must keep after the grace period. Default 8 KiB/s
   *     (64 kbit/s: a slow mobile uplink still passes; a trickle does not)
   * @param maxPendingBodies most request bodies still arriving at once (a body that is all there when its headers
   *     are read never counts). One more first sheds the pending body furthest behind the minimum rate, counted
   *     from its start without grace (408), among those at least 1 s old; if none is behind, it is answered 503
   *     ({@code server_busy}, Retry-After) at once. So slow clients cannot keep the slots from normal ones.
   *     Default 256
   * @param maxConnections most open connections: with more open, a request (other than {@code GET /health} and
   *     {@code /metrics}, always answered) first sheds a slow body as above, else is answered 503
   *     ({@code server_busy}, Retry-After) and its connection closed. Default 1024
   */
  public record ClientLimits(
      long idleTimeoutMillis,
      long bodyGraceMillis,
      long minBodyBytesPerSecond,
      int maxPendingBodies,
      int maxConnections) {

    /** Defaults, as constants so that command-line options can show them. */
    public static final long DEFAULT_IDLE_TIMEOUT_MILLIS = 30_000;
    public static final long DEFAULT_BODY_GRACE_MILLIS = 10_000;
    public static final long DEFAULT_MIN_BODY_BYTES_PER_SECOND = 8 * 1024;
    public static final int DEFAULT_MAX_PENDING_BODIES = 256;
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;

    public ClientLimits {
      if (idleTimeoutMillis < 1 || bodyGraceMillis < 0 || minBodyBytesPerSecond < 1 || maxPendingBodies < 1
          || maxConnections < 1) {
        throw new InvalidInputException("client limits must be positive (idle timeout " + idleTimeoutMillis
            + " ms, body grace " + bodyGraceMillis + " ms, minimum body rate " + minBodyBytesPerSecond
            + " B/s, pending bodies " + maxPendingBodies + ", connections " + maxConnections + ")");
      }
    }

    /** 30 s idle timeout, 10 s body grace then 8 KiB/s, 256 bodies arriving at once, 1024 connections. */
    public static ClientLimits defaults() {
      return new ClientLimits(DEFAULT_IDLE_TIMEOUT_MILLIS, DEFAULT_BODY_GRACE_MILLIS,
          DEFAULT_MIN_BODY_BYTES_PER_SECOND, DEFAULT_MAX_PENDING_BODIES, DEFAULT_MAX_CONNECTIONS);
    }

    public ClientLimits withIdleTimeoutMillis(long millis) {
      return new ClientLimits(millis, bodyGraceMillis, minBodyBytesPerSecond, maxPendingBodies, maxConnections);
    }

    public ClientLimits withBodyRate(long graceMillis, long bytesPerSecond) {
      return new ClientLimits(idleTimeoutMillis, graceMillis, bytesPerSecond, maxPendingBodies, maxConnections);
    }

    public ClientLimits withMaxPendingBodies(int bodies) {
      return new ClientLimits(idleTimeoutMillis, bodyGraceMillis, minBodyBytesPerSecond, bodies, maxConnections);
    }

    public ClientLimits withMaxConnections(int connections) {
      return new ClientLimits(idleTimeoutMillis, bodyGraceMillis, minBodyBytesPerSecond, maxPendingBodies,
          connections);
    }
  }
}
