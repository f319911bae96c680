package org.moellava.serve.http.images;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.api.Result;
import org.eclipse.jetty.client.util.BufferingResponseListener;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;
import org.moellava.serve.http.ApiException;

/**
 * Fetches the image of an {@code http(s)} URL, within a byte limit and a time limit, from public addresses only.
 *
 * <p>Every connection, the first and each redirect's, resolves its host through this class's resolver, which
 * drops every address {@link PublicAddresses} refuses (unless trusted) before Jetty may connect: the addresses
 * checked are the addresses connected to, so a host name that resolves to a public address when checked and to a
 * private one when connecting (DNS rebinding) cannot slip through. No proxy is used and no cookies are kept.
 * Failures are 400s with code {@code image_url_refused} (address, scheme) or {@code image_fetch_failed} (status,
 * size, time, network) naming the parameter; too many fetches at once is a 503.
 */
public final class ImageUrlFetcher implements AutoCloseable {
  private final ImageUrlOptions options;
  private final int maxBytes;
  private final int retryAfterSeconds;
  private final Semaphore slots;
  private final HttpClient client;

  /**
   * @param maxBytes the largest image, as for {@code data:} URLs
   * @param retryAfterSeconds the Retry-After of the 503 when {@link ImageUrlOptions#maxConcurrentFetches()} are busy
   */
  public ImageUrlFetcher(ImageUrlOptions options, int maxBytes, int retryAfterSeconds) {
    this.options = options;
    this.maxBytes = maxBytes;
    this.retryAfterSeconds = retryAfterSeconds;
    this.slots = new Semaphore(options.maxConcurrentFetches());
    this.client = new HttpClient();
    client.setSocketAddressResolver(new CheckedResolver());
    client.setFollowRedirects(true);
    client.setMaxRedirects(options.maxRedirects());
    client.setConnectTimeout(options.timeoutMillis());
    client.setCookieStore(new org.eclipse.jetty.util.HttpCookieStore.Empty());
    client.setUserAgentField(new org.eclipse.jetty.http.HttpField(org.eclipse.jetty.http.HttpHeader.USER_AGENT,
        "moellava-serve"));
    try {
      client.start();
    } catch (Exception e) {
      throw new IllegalStateException("could not start the image URL client: " + e.getMessage(), e);
    }
  }

  /**
   * The bytes at {@code url} ({@code http} or {@code https}).
   *
   * @param param the request parameter that gave the URL, named in errors
   * @throws ApiException 400 when the URL is refused or cannot be fetched, 503 when too many fetches run
   */
  public byte[] fetch(URI url, String param) throws InterruptedException {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw ApiException.invalid(param, "image_url_refused", "image URLs must be data:, http: or https:, got "
          + (scheme.isEmpty() ? "no scheme" : scheme + ":"));
    }
    if (url.getHost() == null || url.getRawUserInfo() != null) {
      throw ApiException.invalid(param, "image_url_refused",
          "image URL must name a host and carry no user:password@ part");
    }
    if (!slots.tryAcquire()) {
      throw ApiException.unavailable("too many image URLs being fetched (limit " + options.maxConcurrentFetches()
          + "); retry later", Math.max(1, retryAfterSeconds));
    }
    try {
      return get(url, param);
    } finally {
      slots.release();
    }
  }

  private byte[] get(URI url, String param) throws InterruptedException {
    CompletableFuture<Result> done = new CompletableFuture<>();
    BufferingResponseListener listener = new BufferingResponseListener(maxBytes) {
      @Override
      public void onComplete(Result result) {
        done.complete(result);
      }
    };
    client.newRequest(url).timeout(options.timeoutMillis(), TimeUnit.MILLISECONDS).send(listener);
    Result result;
    try {
      result = done.get(options.timeoutMillis() + 1_000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw failed(param, url, "no answer within " + options.timeoutMillis() + " ms");
    } catch (ExecutionException e) {
      throw failed(param, url, String.valueOf(e.getCause()));
    }
    if (result.isFailed()) {
      throw failure(param, url, result.getFailure());
    }
    int status = result.getResponse().getStatus();
    if (status != 200) {
      throw failed(param, url, "HTTP status " + status + (status / 100 == 3 ? " (more than "
          + options.maxRedirects() + " redirects, or a redirect without a location)" : ""));
    }
    byte[] bytes = listener.getContent();
    if (bytes.length == 0) {
      throw failed(param, url, "the answer is empty");
    }
    return bytes;
  }

  private ApiException failure(String param, URI url, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof RefusedAddressException refused) {
        return ApiException.invalid(param, "image_url_refused", refused.getMessage()
            + "; the server fetches images from public addresses only");
      }
      if (t instanceof TimeoutException) {
        return failed(param, url, "no answer within " + options.timeoutMillis() + " ms");
      }
      if (t instanceof UnknownHostException) {
        return failed(param, url, "unknown host " + url.getHost());
      }
      if (t.getMessage() != null && t.getMessage().startsWith("Buffering capacity")) {
        return ApiException.invalid(param, "image_too_large",
            "the image at the URL is over the limit of " + maxBytes + " bytes");
      }
    }
    return failed(param, url, failure.getClass().getSimpleName()
        + (failure.getMessage() == null ? "" : ": " + failure.getMessage()));
  }

  private static ApiException failed(String param, URI url, String why) {
    String line = (why == null ? "" : why).replaceAll("\\s+", " ").trim();
    return ApiException.invalid(param, "image_fetch_failed", "could not fetch the image at "
        + url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort()) + ": "
        + (line.length() > 200 ? line.substring(0, 200) + "..." : line));
  }

  @Override
  public void close() {
    try {
      client.stop();
    } catch (Exception e) {
      throw new IllegalStateException("could not stop the image URL client: " + e.getMessage(), e);
    }
  }

  /** A host name or address the checks refuse. */
  static final class RefusedAddressException extends Exception {
    RefusedAddressException(String message) {
      super(message, null, false, false);
    }
  }

  /** Resolves a host and keeps only the addresses that may be reached. */
  private final class CheckedResolver implements SocketAddressResolver {
    @Override
    public void resolve(String host, int port, Promise<List<InetSocketAddress>> promise) {
      InetAddress[] all;
      try {
        all = InetAddress.getAllByName(host);
      } catch (UnknownHostException e) {
        promise.failed(e);
        return;
      }
      List<InetSocketAddress> allowed = new ArrayList<>();
      String refusal = null;
      for (InetAddress address : all) {
        InetSocketAddress socket = new InetSocketAddress(address, port);
        String why = options.trustedAddresses().contains(socket) ? null : PublicAddresses.refusal(address);
        if (why == null) {
          allowed.add(socket);
        } else if (refusal == null) {
          String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
          boolean isLiteral = literal.equalsIgnoreCase(address.getHostAddress()) || literal.indexOf(':') >= 0
              || literal.chars().allMatch(c -> c == '.' || Character.isDigit(c));
          refusal = "image URL host " + host + (isLiteral ? " is " : " resolves to " + address.getHostAddress()
              + ", ") + why;
        }
      }
      if (refusal != null) { // one refused address refuses the host: its DNS answer points inside
        promise.failed(new RefusedAddressException(refusal));
      } else {
        promise.succeeded(allowed);
      }
    }
  }
}
