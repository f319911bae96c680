package org.moellava.runtime.trt;

import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

/** Turns CUDA runtime status codes into exceptions. */
final class CudaCalls {
  private CudaCalls() {}

  /** Throws when {@code status} is not {@code cudaSuccess}. */
  static void check(int status, String what) {
    if (status != cudaSuccess) {
      throw new IllegalStateException(what + " failed: " + cudaGetErrorString(status).getString() + " (" + status + ")");
    }
  }
}
