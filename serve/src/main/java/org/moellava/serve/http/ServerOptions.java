package org.moellava.serve.http;

import org.moellava.error.InvalidInputException;

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
 * @param retryAfterSeconds the Retry-After of a 429 (queue full)
 */
public record ServerOptions(
    String host,
    int port,
    String apiKey,
    int maxBodyBytes,
    int maxImageBytes,
    long maxImagePixels,
    int defaultMaxTokens,
    int retryAfterSeconds) {

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
  }

  /** Loopback on port 8000, no api key, 20 MiB bodies, 10 MiB / 16 Mpixel images, 256 tokens. */
  public static ServerOptions defaults() {
    return new ServerOptions("127.0.0.1", 8000, null, 20 << 20, 10 << 20, 4096L * 4096, 256, 1);
  }

  public ServerOptions withHost(String newHost) {
    return new ServerOptions(newHost, port, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds);
  }

  public ServerOptions withPort(int newPort) {
    return new ServerOptions(host, newPort, apiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds);
  }

  public ServerOptions withApiKey(String newApiKey) {
    return new ServerOptions(host, port, newApiKey, maxBodyBytes, maxImageBytes, maxImagePixels, defaultMaxTokens,
        retryAfterSeconds);
  }

  public ServerOptions withLimits(int newMaxBodyBytes, int newMaxImageBytes, long newMaxImagePixels) {
    return new ServerOptions(host, port, apiKey, newMaxBodyBytes, newMaxImageBytes, newMaxImagePixels,
        defaultMaxTokens, retryAfterSeconds);
  }
}
