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
 * @param prepacking whether ONNX Runtime's CPU kernels may pre-pack constant weights ({@link Prepacking})
 */
public record OrtOptions(Device device, boolean tensorRtProvider, int deviceId, int intraOpThreads,
    Prepacking prepacking) {
  /** The system property that overrides {@link Prepacking#AUTO} ({@code on} or {@code off}) for measurements. */
  public static final String PREPACKING_PROPERTY = "moellava.ort.prepacking";

  /**
   * Weight pre-packing ({@code session.disable_prepacking}). ONNX Runtime memory-maps external data on the CPU and
   * uses the mapped bytes as the initializers (no copy), but a kernel that pre-packs a weight (MLAS's fp32 GEMM
   * packs MatMul's B) allocates the packed copy on the heap: about one more copy of every MatMul weight.
   */
  public enum Prepacking {
    /** Off for a model with external data (one memory-mapped copy of the weights), on otherwise. */
    AUTO,
    /** ONNX Runtime's default: pre-pack (a second, anonymous copy of the packed weights). */
    ON,
    /** {@code session.disable_prepacking=1}: the weights stay memory-mapped, packed per call. */
    OFF;

    /** Whether a session of a model with ({@code externalData}) or without external data pre-packs. */
    public boolean enabled(boolean externalData) {
      Prepacking p = this;
      if (p == AUTO) {
        String forced = System.getProperty(PREPACKING_PROPERTY, "");
        if (forced.equals("on")) p = ON;
        else if (forced.equals("off")) p = OFF;
        else if (!forced.isEmpty()) {
          throw new InvalidInputException("-D" + PREPACKING_PROPERTY + "=" + forced + ": use on or off");
        }
      }
      return p == AUTO ? !externalData : p == ON;
    }
  }

  /** Options with {@link Prepacking#AUTO}. */
  public OrtOptions(Device device, boolean tensorRtProvider, int deviceId, int intraOpThreads) {
    this(device, tensorRtProvider, deviceId, intraOpThreads, Prepacking.AUTO);
  }

  public OrtOptions {
    if (prepacking == null) throw new InvalidInputException("prepacking must be set");
    if (tensorRtProvider && device != Device.CUDA) {
      throw new InvalidInputException("the TensorRT execution provider needs the CUDA device");
    }
    if (deviceId < 0 || intraOpThreads < 0) {
      throw new InvalidInputException("device id and threads must be >= 0, got " + deviceId + " and " + intraOpThreads);
    }
  }

  /** CPU provider, default threads. */
  public static OrtOptions cpu() {
    return new OrtOptions(Device.CPU, false, 0, 0);
  }
}
