package org.moellava.serve.http;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.moellava.error.InvalidInputException;

/**
 * CORS for the origins of {@code --allowed-origins} (off when there are none, the default). A request whose
 * {@code Origin} is allowed gets {@code Access-Control-Allow-Origin} (that origin) and {@code Vary: Origin}; a
 * preflight ({@code OPTIONS} with {@code Access-Control-Request-Method}) from an allowed origin is answered 204 with
 * the methods ({@code GET, POST, OPTIONS}), the headers ({@code Authorization, Content-Type}) and a max age of 10
 * minutes, from any other origin 403. Without an api key, {@link LocalRequestGuard} lets exactly these origins
 * through its cross-origin refusal. No credentials (cookies) are involved: the API uses none.
 */
final class Cors {
  static final String ANY = "*";
  private static final Pattern ORIGIN = Pattern.compile("https?://[^/\\s?#@]+");
  private static final String METHODS = "GET, POST, OPTIONS";
  private static final String HEADERS = "Authorization, Content-Type";
  private static final String MAX_AGE_SECONDS = "600";

  private final Set<String> origins;
  private final boolean any;

  Cors(List<String> allowedOrigins) {
    this.origins = Set.copyOf(normalise(allowedOrigins));
    this.any = origins.contains(ANY);
  }

  /**
   * The origins as the server compares them: lower case, each {@code http(s)://host[:port]} with no path, or
   * {@code *}.
   *
   * @throws InvalidInputException naming an origin that is not of that form
   */
  static List<String> normalise(List<String> allowed) {
    List<String> out = new ArrayList<>();
    for (String origin : allowed) {
      String o = origin == null ? "" : origin.strip().toLowerCase(Locale.ROOT);
      if (!o.equals(ANY) && !ORIGIN.matcher(o).matches()) {
        throw new InvalidInputException("allowed origin '" + origin + "' is not of the form http(s)://host[:port] "
            + "(no path, no trailing slash) or *");
      }
      if (!out.contains(o)) {
        out.add(o);
      }
    }
    return List.copyOf(out);
  }

  boolean enabled() {
    return !origins.isEmpty();
  }

  /** Whether {@code --allowed-origins '*'} was given. */
  boolean allowsAny() {
    return any;
  }

  /** Whether a request with this {@code Origin} header may be answered cross-origin. */
  boolean allows(String origin) {
    if (origin == null || origin.equals("null")) {
      return false;
    }
    return any || origins.contains(origin.toLowerCase(Locale.ROOT));
  }

  /** Before every request: the CORS response headers for an allowed origin. */
  void addHeaders(Context ctx) {
    String origin = ctx.header("Origin");
    if (allows(origin)) {
      ctx.header("Access-Control-Allow-Origin", origin);
      ctx.header("Vary", "Origin");
    }
  }

  /** {@code OPTIONS}: a preflight from an allowed origin gets 204 with what may be sent, any other 403. */
  void preflight(Context ctx) {
    String origin = ctx.header("Origin");
    if (!allows(origin)) {
      throw new ApiException(403, "invalid_request_error", null, "forbidden",
          "CORS preflight from origin '" + origin + "' refused: not in --allowed-origins");
    }
    ctx.header("Access-Control-Allow-Methods", METHODS);
    ctx.header("Access-Control-Allow-Headers", HEADERS);
    ctx.header("Access-Control-Max-Age", MAX_AGE_SECONDS);
    ctx.status(204);
  }
}
