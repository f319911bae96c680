package org.moellava.serve.http;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.moellava.serve.engine.GenerationHandle;

/**
 * The chat requests being answered, so that a shutdown can wait for them (drain) and, past its deadline, cancel
 * their generations so that each still ends cleanly (a final chunk and {@code [DONE]} for a stream).
 */
final class InFlight {
  private final AtomicInteger requests = new AtomicInteger();
  private final Set<GenerationHandle> generations = ConcurrentHashMap.newKeySet();
  private final Object idle = new Object();

  void enter() {
    requests.incrementAndGet();
  }

  void exit() {
    if (requests.decrementAndGet() == 0) {
      synchronized (idle) {
        idle.notifyAll();
      }
    }
  }

  void started(GenerationHandle handle) {
    generations.add(handle);
  }

  void ended(GenerationHandle handle) {
    generations.remove(handle);
  }

  int count() {
    return requests.get();
  }

  /** Waits until no request is in flight or {@code millis} passed; true when none is left. */
  boolean awaitIdle(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    synchronized (idle) {
      while (requests.get() > 0) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) return false;
        idle.wait(left);
      }
    }
    return true;
  }

  /** Cancels every running generation. */
  void cancelAll() {
    generations.forEach(GenerationHandle::cancel);
  }
}
