package org.moellava.serve.http;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.moellava.serve.engine.GeneratedToken;
import org.moellava.serve.engine.GenerationListener;
import org.moellava.serve.engine.GenerationResult;

/**
 * Hands a request's events from the scheduler thread to the HTTP thread that writes them, so the scheduler
 * never blocks on a slow client: per choice, {@link GenerationEvent.Token}s, then one
 * {@link GenerationEvent.Finished} or {@link GenerationEvent.Failed}. The choices of one request (its {@code n}
 * generations) share the queue, each through its own {@link #choice listener}.
 */
final class EventQueue {
  private final BlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();

  /** The listener of choice {@code index}: its events carry that index. */
  GenerationListener choice(int index) {
    return new GenerationListener() {
      @Override
      public void onToken(GeneratedToken token) {
        events.add(new GenerationEvent.Token(index, token));
      }

      @Override
      public void onFinish(GenerationResult result) {
        events.add(new GenerationEvent.Finished(index, result));
      }

      @Override
      public void onError(RuntimeException error) {
        events.add(new GenerationEvent.Failed(index, error));
      }
    };
  }

  /** The next event, waiting as long as it takes. */
  GenerationEvent take() throws InterruptedException {
    return events.take();
  }

  /** The next event, or null when none came within {@code millis}. */
  GenerationEvent poll(long millis) throws InterruptedException {
    return events.poll(millis, TimeUnit.MILLISECONDS);
  }
}
