package org.moellava.serve.http;

import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reads a request body up to a limit; a larger one (declared or sent) is a 413. */
final class BoundedBody {
  private BoundedBody() {}

  static byte[] read(Context ctx, int maxBytes) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBytes) {
      throw tooLarge(declared + " bytes", maxBytes);
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.max(0, Math.min(declared, maxBytes)));
    byte[] chunk = new byte[64 * 1024];
    try (InputStream in = ctx.req().getInputStream()) {
      int n;
      while ((n = in.read(chunk)) > 0) {
        if (body.size() + n > maxBytes) {
          throw tooLarge("more than " + maxBytes + " bytes", maxBytes);
        }
        body.write(chunk, 0, n);
      }
    } catch (IOException e) {
      throw ApiException.invalid(null, "invalid_body", "request body could not be read");
    }
    return body.toByteArray();
  }

  private static ApiException tooLarge(String size, int maxBytes) {
    return new ApiException(413, "invalid_request_error", null, "request_too_large",
        "request body is " + size + ", over the limit of " + maxBytes + " bytes");
  }
}
