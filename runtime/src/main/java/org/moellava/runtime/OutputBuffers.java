package org.moellava.runtime;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Direct output buffers a backend reuses from call to call, one per output name, grown when a call needs more.
 * A buffer handed out stays valid until the next request for the same name (the {@link Backend} contract).
 */
public final class OutputBuffers {
  private final Map<String, FloatBuffer> buffers = new HashMap<>();

  /** A direct native-order view of {@code count} floats for output {@code name}, position 0, limit count. */
  public FloatBuffer floats(String name, long count) {
    FloatBuffer buffer = buffers.get(name);
    if (buffer == null || buffer.capacity() < count) {
      buffer = Tensors.floats(Math.max(count, buffer == null ? 0 : buffer.capacity() * 3L / 2));
      buffers.put(name, buffer);
    }
    return Tensors.view(buffer, Math.toIntExact(count));
  }
}
