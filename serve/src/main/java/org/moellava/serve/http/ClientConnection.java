package org.moellava.serve.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Whether the client of a request that is still being computed has gone away. A non-streaming answer writes nothing
 * until it is complete, so nothing would notice a client that timed out: the generation went on for nothing (20
 * timed-out clients: all 3,400 tokens generated). Here the connection is read without blocking: an end of stream
 * (the client closed) or a closed endpoint means gone. The request body has been read in full by then and HTTP clients
 * do not pipeline a request behind a POST, so there is nothing to consume; a byte that does arrive is kept by
 * answering "still here" and the connection is closed after this response.
 */
final class ClientConnection {
  private final EndPoint endPoint;
  private boolean sawData;

  private ClientConnection(EndPoint endPoint) {
    this.endPoint = endPoint;
  }

  /** The connection of this request, or null where the server is not Jetty's HTTP/1 (then nothing is watched). */
  static ClientConnection of(Context ctx) {
    Request base = Request.getBaseRequest(ctx.req());
    if (base == null || base.getHttpChannel() == null) return null;
    return new ClientConnection(base.getHttpChannel().getEndPoint());
  }

  /** True when the client has closed its side of the connection (or the connection is closed). */
  boolean isGone() {
    if (!endPoint.isOpen() || endPoint.isInputShutdown()) return true;
    if (sawData) return false;
    ByteBuffer one = BufferUtil.allocate(1);
    try {
      int n = endPoint.fill(one);
      if (n > 0) sawData = true;
      return n < 0;
    } catch (IOException e) {
      return true;
    } catch (RuntimeException e) {
      return false; // the connection is in a state that cannot be probed now (e.g. a read pending): assume present
    }
  }

  /** Whether unexpected bytes arrived (the connection must not be reused). */
  boolean sawData() {
    return sawData;
  }
}
