package org.moellava.serve.http;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.moellava.serve.engine.GeneratedToken;
import org.moellava.serve.engine.GenerationListener;
import org.moellava.serve.engine.GenerationResult;

/**
 * Hands a request's events from the scheduler thread to the HTTP thread that writes them, so the scheduler
 * never blocks on a slow client. Events are {@link GeneratedToken}, then one {@link GenerationResult} or
 * {@link RuntimeException}.
 */
final class EventQueue implements GenerationListener {
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

  @Override
  public void onToken(GeneratedToken token) {
    events.add(token);
  }

  @Override
  public void onFinish(GenerationResult result) {
    events.add(result);
  }

  @Override
  public void onError(RuntimeException error) {
    events.add(error);
  }

  /** The next event, waiting as long as it takes. */
  Object take() throws InterruptedException {
    return events.take();
  }

  /** The next event, or null after {@code millis}. */
  Object poll(long millis) throws InterruptedException {
    return events.poll(millis, TimeUnit.MILLISECONDS);
  }
}
