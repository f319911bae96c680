package org.moellava.serve.http;

/**
 * An error answered with an HTTP status and OpenAI's error body
 * {@code {"error":{"message","type","param","code"}}}. The message is one line and never a stack trace.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String type;
  private final String param;
  private final String code;
  private final Integer retryAfterSeconds;

  public ApiException(int status, String type, String param, String code, String message) {
    this(status, type, param, code, message, null);
  }

  private ApiException(int status, String type, String param, String code, String message, Integer retryAfter) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retryAfterSeconds = retryAfter;
  }

  /** 429 with a Retry-After header. */
  public static ApiException busy(String message, int retryAfterSeconds) {
    return new ApiException(429, "rate_limit_error", null, "queue_full", message, retryAfterSeconds);
  }

  /** 503 server_busy with a Retry-After header: a server limit is reached, not the client's fault. */
  public static ApiException unavailable(String message, int retryAfterSeconds) {
    return new ApiException(503, "server_error", null, "server_busy", message, retryAfterSeconds);
  }

  /** The Retry-After header value, or null for none. */
  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** 400 invalid_request_error. */
  public static ApiException invalid(String param, String code, String message) {
    return new ApiException(400, "invalid_request_error", param, code, message);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String param() {
    return param;
  }

  public String code() {
    return code;
  }
}
