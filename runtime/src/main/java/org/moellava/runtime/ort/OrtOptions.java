package org.moellava.runtime.ort;

import org.moellava.error.InvalidInputException;

import org.moellava.runtime.Device;

/**
 * How the ONNX Runtime backend sets up its sessions.
 *
 * @param device {@link Device#CPU} (the CPU provider) or {@link Device#CUDA} (CUDA execution provider, CPU fallback)
 * @param tensorRtProvider with CUDA, also put ONNX Runtime's TensorRT execution provider first
 * @param deviceId the GPU index for CUDA and TensorRT providers
 * @param intraOpThreads threads per operator, 0 for ONNX Runtime's default
 * @param spinning whether the intra-op pool's threads spin while waiting for work
 *     ({@code session.intra_op.allow_spinning}, ONNX Runtime's default true). Off by default here: a batch-1 decode
 *     step runs some 1,600 small kernels, and on a machine whose cores are shared (as this project's 2-core one
 *     is) spinning threads steal the time slices the working one needs; side by side ({@code bench profile}) the
 *     decoder call was faster without spinning in 8 of 9 comparisons, up to 1.7x (README). Outputs do not change.
 * @param memoryPattern ONNX Runtime's memory pattern optimization ({@code SessionOptions.setMemoryPatternOptimization},
 *     its default true): it plans a run's allocations per input shape, which a decode step changes every time
 */
public record OrtOptions(Device device, boolean tensorRtProvider, int deviceId, int intraOpThreads,
    boolean spinning, boolean memoryPattern) {
  public OrtOptions {
    if (tensorRtProvider && device != Device.CUDA) {
      throw new InvalidInputException("the TensorRT execution provider needs the CUDA device");
    }
    if (deviceId < 0 || intraOpThreads < 0) {
      throw new InvalidInputException("device id and threads must be >= 0, got " + deviceId + " and " + intraOpThreads);
    }
  }

  /** Without spinning, with ONNX Runtime's memory pattern. */
  public OrtOptions(Device device, boolean tensorRtProvider, int deviceId, int intraOpThreads) {
    this(device, tensorRtProvider, deviceId, intraOpThreads, false, true);
  }

  /** CPU provider, default threads. */
  public static OrtOptions cpu() {
    return new OrtOptions(Device.CPU, false, 0, 0);
  }

  /** The same options with the intra-op pool spinning or not. */
  public OrtOptions withSpinning(boolean spin) {
    return new OrtOptions(device, tensorRtProvider, deviceId, intraOpThreads, spin, memoryPattern);
  }

  /** The same options with ONNX Runtime's memory pattern optimization on or off. */
  public OrtOptions withMemoryPattern(boolean on) {
    return new OrtOptions(device, tensorRtProvider, deviceId, intraOpThreads, spinning, on);
  }
}
