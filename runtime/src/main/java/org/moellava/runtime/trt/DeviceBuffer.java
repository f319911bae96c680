package org.moellava.runtime.trt;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;

import org.bytedeco.javacpp.Pointer;

/** A growable block of GPU memory ({@code cudaMalloc}); {@link #close()} frees it ({@code cudaFree}). */
final class DeviceBuffer implements AutoCloseable {
  private static final long MIN_BYTES = 256;

  private Pointer pointer;
  private long capacity;

  /** A device pointer to at least {@code bytes} bytes; the contents are undefined after growing. */
  Pointer ensure(long bytes) {
    long needed = Math.max(bytes, MIN_BYTES);
    if (pointer == null || capacity < needed) {
      close();
      long size = Math.max(needed, capacity * 3 / 2);
      Pointer p = new Pointer();
      CudaCalls.check(cudaMalloc(p, size), "cudaMalloc(" + size + ")");
      pointer = p;
      capacity = size;
    }
    return pointer;
  }

  @Override
  public void close() {
    if (pointer != null) {
      cudaFree(pointer);
      pointer = null;
      capacity = 0;
    }
  }
}
