package org.moellava.serve.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.server.HttpConnection;

/**
 * The connector's open connections, counted for {@link ServerOptions.ClientLimits#maxConnections()}, and the way to
 * make room past it without refusing a request: close the connection that has been silent longest among those with
 * no request being handled (an idle keep-alive connection, or one whose headers, or first body byte, have not all
 * arrived), once it has been silent for {@link #SHED_MIN_IDLE_MILLIS}. Connections that are doing work (a request
 * generating, or a body arriving) are never closed here.
 */
final class OpenConnections implements Connection.Listener {
  /** A connection silent for less than this is never closed to make room. */
  static final long SHED_MIN_IDLE_MILLIS = 1_000;

  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger count = new AtomicInteger();

  @Override
  public void onOpened(Connection connection) {
    open.add(connection);
    count.incrementAndGet();
  }

  @Override
  public void onClosed(Connection connection) {
    if (open.remove(connection)) count.decrementAndGet();
  }

  int count() {
    return count.get();
  }

  /** Closes the longest-silent connection with no request being handled; false when there is none. */
  boolean shedIdle() {
    HttpConnection quietest = null;
    long quietestFor = SHED_MIN_IDLE_MILLIS - 1;
    for (Connection c : open) {
      if (!(c instanceof HttpConnection http) || !http.getHttpChannel().getState().isIdle()) continue;
      if (!(http.getEndPoint() instanceof IdleTimeout endPoint)) continue;
      long idleFor = endPoint.getIdleFor();
      if (idleFor > quietestFor) {
        quietest = http;
        quietestFor = idleFor;
      }
    }
    if (quietest == null) return false;
    quietest.getEndPoint().close();
    return true;
  }
}
