package org.moellava.serve.http;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.util.Locale;

/**
 * Without an API key, the server trusts whoever can reach it, so it makes sure a request really comes from a client
 * that meant to call it, not from a web page in the user's browser:
 * <ul>
 *   <li><b>DNS rebinding</b>: the {@code Host} header must name this server (localhost, the bound address, or an IP
 *       literal of this machine); a rebound name such as {@code evil.example:8000} gets 403;
 *   <li><b>cross-site requests</b>: a browser sends {@code Origin} with every cross-site POST; one that is not this
 *       server's own origin, nor one of {@code --allowed-origins} ({@link Cors}), gets 403 (the web page at
 *       {@code /} is same-origin);
 *   <li><b>simple POSTs</b> (a form or {@code text/plain} body, which a page may send cross-site without a CORS
 *       preflight): {@code /v1/*} POSTs must be {@code application/json}, else 415.
 * </ul>
 * With an API key these checks are not needed (a page cannot read the key) and are not applied.
 */
final class LocalRequestGuard {
  private final String boundHost;
  private final Cors cors;

  LocalRequestGuard(String boundHost, Cors cors) {
    this.boundHost = boundHost.toLowerCase(Locale.ROOT);
    this.cors = cors;
  }

  void check(Context ctx) {
    String host = ctx.header("Host");
    if (host == null || !isThisServer(hostName(host))) {
      throw forbidden("Host header '" + host + "' does not name this server; without --api-key only localhost, "
          + "the bound address and this machine's IP addresses are accepted");
    }
    String origin = ctx.header("Origin");
    if (origin != null && !origin.equals("null")) {
      String originHost;
      try {
        URI uri = URI.create(origin);
        originHost = uri.getHost() == null ? "" : uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
      } catch (IllegalArgumentException e) {
        originHost = "";
      }
      if (!originHost.equalsIgnoreCase(host) && !cors.allows(origin)) {
        throw forbidden("cross-origin request from '" + origin + "' refused (no --api-key; "
            + (cors.enabled() ? "not in --allowed-origins)" : "CORS is off)"));
      }
    }
    if ("POST".equals(ctx.method().name()) && ctx.path().startsWith("/v1/")) {
      String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
      if (!type.startsWith("application/json")) {
        throw new ApiException(415, "invalid_request_error", null, "unsupported_media_type",
            "Content-Type must be application/json, got '" + ctx.contentType() + "'");
      }
    }
  }

  private boolean isThisServer(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("localhost") || n.equals(boundHost)) return true;
    if (!isIpLiteral(n)) return false; // a DNS name other than localhost: could be rebound
    try {
      InetAddress address = InetAddress.getByName(n); // a literal: no lookup
      return address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static boolean isIpLiteral(String n) {
    return n.contains(":") || n.matches("\\d{1,3}(\\.\\d{1,3}){3}");
  }

  /** The host part of a Host header: {@code name}, {@code name:port}, {@code [v6]:port}. */
  static String hostName(String header) {
    String h = header.trim();
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? h : h.substring(1, end);
    }
    int colon = h.lastIndexOf(':');
    return colon < 0 || h.indexOf(':') != colon ? h : h.substring(0, colon);
  }

  private static ApiException forbidden(String message) {
    return new ApiException(403, "invalid_request_error", null, "forbidden", message);
  }
}
