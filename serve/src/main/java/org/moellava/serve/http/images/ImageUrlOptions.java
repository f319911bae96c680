package org.moellava.serve.http.images;

import java.net.InetSocketAddress;
import java.util.Set;
import org.moellava.error.InvalidInputException;

/**
 * Whether and how the server fetches {@code http(s)} image URLs (vLLM fetches them always; here it is off by default,
 * since a fetch is a request the server makes on a client's behalf).
 *
 * @param enabled off by default: an {@code http(s)} URL is then answered 400 and only {@code data:} URLs are read
 * @param timeoutMillis the whole fetch (connect, redirects, body) must end within it, else 400
 *     {@code image_fetch_failed}
 * @param maxRedirects redirects followed (each checked like the first URL)
 * @param maxConcurrentFetches fetches in progress at once; one more is answered 503 {@code server_busy}
 * @param trustedAddresses exact {@code address:port} pairs exempt from the refusal of non-public addresses (an
 *     internal image store); empty by default. The size limit is the server's image byte limit
 */
public record ImageUrlOptions(
    boolean enabled,
    long timeoutMillis,
    int maxRedirects,
    int maxConcurrentFetches,
    Set<InetSocketAddress> trustedAddresses) {

  /** Default of {@link #timeoutMillis()}. */
  public static final long DEFAULT_TIMEOUT_MILLIS = 10_000;
  /** Default of {@link #maxRedirects()}. */
  public static final int DEFAULT_MAX_REDIRECTS = 3;
  /** Default of {@link #maxConcurrentFetches()}. */
  public static final int DEFAULT_MAX_CONCURRENT_FETCHES = 16;

  public ImageUrlOptions {
    if (timeoutMillis < 1 || maxRedirects < 0 || maxConcurrentFetches < 1) {
      throw new InvalidInputException("image URL limits must be positive (timeout " + timeoutMillis
          + " ms, redirects " + maxRedirects + ", concurrent fetches " + maxConcurrentFetches + ")");
    }
    trustedAddresses = trustedAddresses == null ? Set.of() : Set.copyOf(trustedAddresses);
  }

  /** Off: only {@code data:} URLs. */
  public static ImageUrlOptions off() {
    return new ImageUrlOptions(false, DEFAULT_TIMEOUT_MILLIS, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_CONCURRENT_FETCHES,
        Set.of());
  }

  /** On, public addresses only, with the default limits. */
  public static ImageUrlOptions publicOnly() {
    return new ImageUrlOptions(true, DEFAULT_TIMEOUT_MILLIS, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_CONCURRENT_FETCHES,
        Set.of());
  }

  public ImageUrlOptions withTimeoutMillis(long millis) {
    return new ImageUrlOptions(enabled, millis, maxRedirects, maxConcurrentFetches, trustedAddresses);
  }

  public ImageUrlOptions withTrustedAddresses(Set<InetSocketAddress> addresses) {
    return new ImageUrlOptions(enabled, timeoutMillis, maxRedirects, maxConcurrentFetches, addresses);
  }
}
