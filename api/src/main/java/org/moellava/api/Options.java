package org.moellava.api;

import org.moellava.error.InvalidInputException;

import java.util.Objects;
import org.moellava.image.ImageFiles;

/**
 * How {@link MoeLlava#open(java.nio.file.Path, Options)} runs a model. Build one with {@link #builder()}; every
 * setting has a default, so {@code Options.builder().threads(2).build()} is complete.
 *
 * @param backend the runtime: {@link Backend#ONNX_RUNTIME} (default), {@link Backend#TENSORRT} or
 *     {@link Backend#TENSORFLOW}
 * @param device where ONNX Runtime computes: {@link Device#CPU} (default), {@link Device#CUDA} or
 *     {@link Device#TENSORRT}; the other backends ignore it, except that TensorFlow accepts only CPU
 * @param deviceId the GPU index for CUDA and TensorRT (default 0)
 * @param threads ONNX Runtime's threads per operator; 0 (default) leaves ONNX Runtime's own choice
 * @param maxBatch the most sequences decoded together (default 8); each holds a KV cache of the model's context
 * @param maxQueue the most requests waiting for a batch slot (default 1024); one more fails with
 *     {@link org.moellava.serve.engine.EngineBusyException}, except in {@link MoeLlava#generateAll}, which waits
 * @param maxImagePixels the largest image accepted, in pixels (default 89,478,485, PIL's limit), checked from
 *     the image header before decoding
 * @param prefixCacheBytes memory for prefix caching (default 1 GiB, 0 turns it off): the keys and values of
 *     earlier prompts' 16-token blocks, reused by prompts that start the same way (a system prompt, an image, a
 *     chat's earlier turns); answers are the same as without it
 * @param deterministic batch invariance (default off): every decoder call holds one sequence, so a request's tokens,
 *     log probabilities and routed experts are bit-identical whatever else runs, at the cost of batching's throughput
 *     (about 0.3× at 8 concurrent requests); prefix caching is then off, whatever {@code prefixCacheBytes} says
 */
public record Options(Backend backend, Device device, int deviceId, int threads, int maxBatch, int maxQueue,
    long maxImagePixels, long prefixCacheBytes, boolean deterministic) {

  /** The runtime that executes the model. */
  public enum Backend {
    /** ONNX Runtime on a model package ({@code vision.onnx}, {@code embed.onnx}, {@code decoder.onnx}). */
    ONNX_RUNTIME,
    /** Native TensorRT engines of a model package exported with TensorRT engines; needs an NVIDIA GPU. */
    TENSORRT,
    /**
     * TensorFlow Java on a training checkpoint directory (not a package). Needs {@code moellava-graph-builder}
     * (and with it TensorFlow Java, about 680 MB of native code) on the classpath: {@code moellava-api} does not
     * bring it.
     */
    TENSORFLOW
  }

  /** Where ONNX Runtime computes. */
  public enum Device {
    /** The CPU execution provider. */
    CPU,
    /** The CUDA execution provider (CPU fallback for unsupported operators); needs {@code onnxruntime_gpu}. */
    CUDA,
    /** ONNX Runtime's TensorRT execution provider first, then CUDA, then CPU; needs {@code onnxruntime_gpu}. */
    TENSORRT
  }

  /**
   * Checks the settings.
   *
   *
   * @param backend see {@link #backend()}
   * @param device see {@link #device()}
   * @param deviceId see {@link #deviceId()}
   * @param threads see {@link #threads()}
   * @param maxBatch see {@link #maxBatch()}
   * @param maxQueue see {@link #maxQueue()}
   * @param maxImagePixels see {@link #maxImagePixels()}
   * @param prefixCacheBytes see {@link #prefixCacheBytes()}
   * @param deterministic see {@link #deterministic()}
   * @throws NullPointerException if {@code backend} or {@code device} is null
   * @throws InvalidInputException if a number is out of range
   */
  public Options {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(device, "device");
    if (deviceId < 0) throw new InvalidInputException("deviceId must be >= 0, got " + deviceId);
    if (threads < 0) throw new InvalidInputException("threads must be >= 0 (0: ONNX Runtime's choice), got " + threads);
    if (maxBatch < 1) throw new InvalidInputException("maxBatch must be >= 1, got " + maxBatch);
    if (maxQueue < 1) throw new InvalidInputException("maxQueue must be >= 1, got " + maxQueue);
    if (maxImagePixels < 1) throw new InvalidInputException("maxImagePixels must be >= 1, got " + maxImagePixels);
    if (prefixCacheBytes < 0) {
      throw new InvalidInputException("prefixCacheBytes must be >= 0 (0: off), got " + prefixCacheBytes);
    }
  }

  /**
   * The defaults: ONNX Runtime on the CPU with its own thread count, batches of up to 8, a queue of 1024.
   *
   * @return the default options
   */
  public static Options defaults() {
    return builder().build();
  }

  /**
   * A builder holding the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding these settings.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    return new Builder().backend(backend).device(device).deviceId(deviceId).threads(threads).maxBatch(maxBatch)
        .maxQueue(maxQueue).maxImagePixels(maxImagePixels).prefixCacheBytes(prefixCacheBytes)
        .deterministic(deterministic);
  }

  /** Builds {@link Options}; each setter returns this builder. */
  public static final class Builder {
    private Backend backend = Backend.ONNX_RUNTIME;
    private Device device = Device.CPU;
    private int deviceId;
    private int threads;
    private int maxBatch = 8;
    private int maxQueue = 1024;
    private long maxImagePixels = ImageFiles.DEFAULT_MAX_PIXELS;
    private long prefixCacheBytes = org.moellava.serve.engine.EngineConfig.DEFAULT_PREFIX_CACHE_BYTES;
    private boolean deterministic;

    private Builder() {}

    /**
     * Sets {@link Options#backend()}.
     *
     * @param backend the runtime
     * @return this builder
     */
    public Builder backend(Backend backend) {
      this.backend = backend;
      return this;
    }

    /**
     * Sets {@link Options#device()}.
     *
     * @param device where ONNX Runtime computes
     * @return this builder
     */
    public Builder device(Device device) {
      this.device = device;
      return this;
    }

    /**
     * Sets {@link Options#deviceId()}.
     *
     * @param deviceId the GPU index
     * @return this builder
     */
    public Builder deviceId(int deviceId) {
      this.deviceId = deviceId;
      return this;
    }

    /**
     * Sets {@link Options#threads()}.
     *
     * @param threads threads per operator, 0 for ONNX Runtime's choice
     * @return this builder
     */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /**
     * Sets {@link Options#maxBatch()}.
     *
     * @param maxBatch the most sequences decoded together
     * @return this builder
     */
    public Builder maxBatch(int maxBatch) {
      this.maxBatch = maxBatch;
      return this;
    }

    /**
     * Sets {@link Options#maxQueue()}.
     *
     * @param maxQueue the most requests waiting for a slot
     * @return this builder
     */
    public Builder maxQueue(int maxQueue) {
      this.maxQueue = maxQueue;
      return this;
    }

    /**
     * Sets {@link Options#maxImagePixels()}.
     *
     * @param maxImagePixels the largest image accepted, in pixels
     * @return this builder
     */
    public Builder maxImagePixels(long maxImagePixels) {
      this.maxImagePixels = maxImagePixels;
      return this;
    }

    /**
     * Sets {@link Options#prefixCacheBytes()}.
     *
     * @param prefixCacheBytes memory for prefix caching, 0 for none
     * @return this builder
     */
    public Builder prefixCacheBytes(long prefixCacheBytes) {
      this.prefixCacheBytes = prefixCacheBytes;
      return this;
    }

    /**
     * Sets {@link Options#deterministic()}.
     *
     * @param deterministic whether every decoder call holds one sequence (batch invariance)
     * @return this builder
     */
    public Builder deterministic(boolean deterministic) {
      this.deterministic = deterministic;
      return this;
    }

    /**
     * The options.
     *
     * @return the options
     * @throws InvalidInputException if a setting is out of range
     */
    public Options build() {
      return new Options(backend, device, deviceId, threads, maxBatch, maxQueue, maxImagePixels, prefixCacheBytes,
          deterministic);
    }
  }
}
