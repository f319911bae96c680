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
 * @param prepacking whether ONNX Runtime's CPU kernels may pre-pack constant weights ({@link Prepacking})
 */
public record OrtOptions(Device device, boolean tensorRtProvider, int deviceId, int intraOpThreads,
    boolean spinning, boolean memoryPattern, Prepacking prepacking) {
  /** The system property that overrides {@link Prepacking#AUTO}: {@code off} keeps one memory-mapped copy. */
  public static final String PREPACKING_PROPERTY = "moellava.ort.prepacking";

  /**
   * Weight pre-packing ({@code session.disable_prepacking}). ONNX Runtime memory-maps external data on the CPU and
   * uses the mapped bytes as the initializers (no copy), but a kernel that pre-packs a weight (MLAS's fp32 GEMM
   * packs MatMul's B) allocates the packed copy on the heap: about one more copy of every MatMul weight. Pre-packing
   * is on by default all the same: without it MLAS re-packs fp32 weights on every call (full-size fp32 decode 2.6x
   * slower) and {@code MatMulNBits} falls back to dequantizing its blocks per call (full-size int4 decode 12.8x
   * slower: 0.38 against 4.89 tokens/s, README). {@code -Dmoellava.ort.prepacking=off} trades that speed for memory.
   */
  public enum Prepacking {
    /** Pre-pack (ONNX Runtime's default) unless {@code -Dmoellava.ort.prepacking=off} says otherwise. */
    AUTO,
    /** ONNX Runtime's default: pre-pack (a second, anonymous copy of the packed weights). */
    ON,
    /** {@code session.disable_prepacking=1}: the weights stay memory-mapped, packed per call. */
    OFF;

    /** Whether a session pre-packs its constant weights. */
    public boolean enabled() {
      Prepacking p = this;
      if (p == AUTO) {
        String forced = System.getProperty(PREPACKING_PROPERTY, "");
        if (forced.equals("on")) p = ON;
        else if (forced.equals("off")) p = OFF;
        else if (!forced.isEmpty()) {
          throw new InvalidInputException("-D" + PREPACKING_PROPERTY + "=" + forced + ": use on or off");
        }
      }
      return p != OFF;
    }
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

  /** Without spinning, with ONNX Runtime's memory pattern, {@link Prepacking#AUTO}. */
  public OrtOptions(Device device, boolean tensorRtProvider, int deviceId, int intraOpThreads) {
    this(device, tensorRtProvider, deviceId, intraOpThreads, false, true, Prepacking.AUTO);
  }

  /** CPU provider, default threads. */
  public static OrtOptions cpu() {
    return new OrtOptions(Device.CPU, false, 0, 0);
  }

  /** The same options with the intra-op pool spinning or not. */
  public OrtOptions withSpinning(boolean spin) {
    return new OrtOptions(device, tensorRtProvider, deviceId, intraOpThreads, spin, memoryPattern, prepacking);
  }

  /** The same options with weight pre-packing {@code p}. */
  public OrtOptions withPrepacking(Prepacking p) {
    return new OrtOptions(device, tensorRtProvider, deviceId, intraOpThreads, spinning, memoryPattern, p);
  }

  /** The same options with ONNX Runtime's memory pattern optimization on or off. */
  public OrtOptions withMemoryPattern(boolean on) {
    return new OrtOptions(device, tensorRtProvider, deviceId, intraOpThreads, spinning, on, prepacking);
  }
}
