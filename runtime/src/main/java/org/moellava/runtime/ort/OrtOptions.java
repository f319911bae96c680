package org.moellava.runtime.ort;

import org.moellava.runtime.Device;

/**
 * How the ONNX Runtime backend sets up its sessions.
 *
 * @param device {@link Device#CPU} (the CPU provider) or {@link Device#CUDA} (CUDA execution provider, CPU fallback)
 * @param tensorRtProvider with CUDA, also put ONNX Runtime's TensorRT execution provider first
 * @param deviceId the GPU index for CUDA and TensorRT providers
 * @param intraOpThreads threads per operator, 0 for ONNX Runtime's default
 */
public record OrtOptions(Device device, boolean tensorRtProvider, int deviceId, int intraOpThreads) {
  public OrtOptions {
    if (tensorRtProvider && device != Device.CUDA) {
      throw new IllegalArgumentException("the TensorRT execution provider needs device CUDA");
    }
    if (deviceId < 0 || intraOpThreads < 0) {
      throw new IllegalArgumentException("deviceId and intraOpThreads must be >= 0");
    }
  }

  /** CPU provider, default threads. */
  public static OrtOptions cpu() {
    return new OrtOptions(Device.CPU, false, 0, 0);
  }
}
