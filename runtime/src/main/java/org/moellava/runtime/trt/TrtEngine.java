package org.moellava.runtime.trt;

import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.OutputBuffers;

/**
 * One deserialized TensorRT plan with its execution context and device buffers. A call sets each input's shape
 * (checked against optimisation profile 0), copies the inputs to the GPU, runs {@code enqueueV3} on the
 * stream, and copies the outputs back into reused direct host buffers. Integer inputs take the engine's type
 * (int64 as given, int32 narrowed).
 *
 * <p>TensorRT 10 removed {@code destroy()} and the bytedeco 10.6 bindings attach no deallocator to the runtime,
 * engine and context they return (bytedeco/javacpp-presets#1699), so those three live until the process ends;
 * {@link #close()} frees every device buffer this class allocated.
 */
final class TrtEngine implements AutoCloseable {
  /** One input: float or integer (int64) host data and its shape. */
  record HostInput(FloatBuffer floats, LongBuffer longs, long[] shape) {
    static HostInput of(FloatBuffer data, long... shape) {
      return new HostInput(data, null, shape);
    }

    static HostInput of(LongBuffer data, long... shape) {
      return new HostInput(null, data, shape);
    }
  }

  private final String name;
  private final IRuntime runtime;
  private final ICudaEngine engine;
  private final IExecutionContext context;
  private final Map<String, Boolean> isInput = new LinkedHashMap<>();
  private final Map<String, nvinfer.DataType> types = new HashMap<>();
  private final Map<String, DeviceBuffer> device = new HashMap<>();
  private final Map<String, IntBuffer> narrowed = new HashMap<>();

  TrtEngine(Path plan, IRuntime runtime) {
    this.name = plan.getFileName().toString();
    this.runtime = runtime;
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(plan);
    } catch (IOException e) {
      throw new InvalidInputException(plan + ": cannot read TensorRT engine: " + e.getMessage(), e);
    }
    try (BytePointer data = new BytePointer(bytes)) {
      this.engine = runtime.deserializeCudaEngine(data, bytes.length);
    }
    if (engine == null || engine.isNull()) {
      throw new InvalidInputException(plan + ": TensorRT cannot deserialize the engine (built for another TensorRT "
          + "version or GPU?)");
    }
    this.context = engine.createExecutionContext();
    if (context == null || context.isNull()) {
      throw new IllegalStateException(plan + ": TensorRT cannot create an execution context");
    }
    for (int i = 0; i < engine.getNbIOTensors(); i++) {
      String tensor = engine.getIOTensorName(i);
      isInput.put(tensor, engine.getTensorIOMode(tensor) == nvinfer.TensorIOMode.kINPUT);
      types.put(tensor, engine.getTensorDataType(tensor));
    }
  }

  /** Whether the engine has an input or output called {@code tensor}. */
  boolean has(String tensor) {
    return isInput.containsKey(tensor);
  }

  /**
   * Runs the engine.
   *
   * @param inputs every input by name
   * @param hostOutputs where outputs land, reused between calls
   * @return each output's host buffer (a view of exactly its elements) by name
   */
  Map<String, FloatBuffer> run(Map<String, HostInput> inputs, OutputBuffers hostOutputs, CUstream_st stream) {
    for (Map.Entry<String, Boolean> io : isInput.entrySet()) {
      if (io.getValue() && !inputs.containsKey(io.getKey())) {
        throw new IllegalArgumentException(name + ": input '" + io.getKey() + "' not given");
      }
    }
    for (Map.Entry<String, HostInput> e : inputs.entrySet()) {
      String tensor = e.getKey();
      HostInput in = e.getValue();
      checkProfile(tensor, in.shape());
      try (Dims64 dims = dims(in.shape())) {
        if (!context.setInputShape(tensor, dims)) {
          throw new InvalidInputException(name + ": TensorRT rejects shape " + Arrays.toString(in.shape())
              + " for input '" + tensor + "'");
        }
      }
      Pointer host = hostPointer(tensor, in);
      long bytes = host.limit() * host.sizeof();
      Pointer dev = device.computeIfAbsent(tensor, k -> new DeviceBuffer()).ensure(bytes);
      context.setTensorAddress(tensor, dev);
      CudaCalls.check(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, stream), name + " copy of " + tensor);
      host.close();
    }
    Map<String, FloatBuffer> out = new LinkedHashMap<>();
    Map<String, Long> outBytes = new LinkedHashMap<>();
    for (Map.Entry<String, Boolean> io : isInput.entrySet()) {
      if (io.getValue()) continue;
      String tensor = io.getKey();
      if (types.get(tensor) != nvinfer.DataType.kFLOAT) {
        throw new IllegalStateException(name + ": output '" + tensor + "' is " + types.get(tensor) + ", not float32");
      }
      long count = 1;
      try (Dims64 shape = context.getTensorShape(tensor)) {
        for (int d = 0; d < shape.nbDims(); d++) count *= shape.d(d);
      }
      long bytes = count * Float.BYTES;
      context.setTensorAddress(tensor, device.computeIfAbsent(tensor, k -> new DeviceBuffer()).ensure(bytes));
      out.put(tensor, hostOutputs.floats(name + ":" + tensor, count));
      outBytes.put(tensor, bytes);
    }
    if (!context.enqueueV3(stream)) {
      throw new IllegalStateException(name + ": enqueueV3 failed (see the TensorRT log)");
    }
    for (Map.Entry<String, FloatBuffer> e : out.entrySet()) {
      try (FloatPointer host = new FloatPointer(e.getValue())) {
        CudaCalls.check(cudaMemcpyAsync(host, device.get(e.getKey()).ensure(outBytes.get(e.getKey())),
            outBytes.get(e.getKey()), cudaMemcpyDeviceToHost, stream), name + " copy of " + e.getKey());
      }
    }
    CudaCalls.check(cudaStreamSynchronize(stream), name + " stream synchronize");
    return out;
  }

  private Pointer hostPointer(String tensor, HostInput in) {
    nvinfer.DataType type = types.get(tensor);
    if (in.floats() != null) {
      if (type != nvinfer.DataType.kFLOAT) {
        throw new IllegalArgumentException(name + ": input '" + tensor + "' is " + type + ", given float32");
      }
      return new FloatPointer(in.floats());
    }
    if (type == nvinfer.DataType.kINT64) return new LongPointer(in.longs());
    if (type != nvinfer.DataType.kINT32) {
      throw new IllegalArgumentException(name + ": input '" + tensor + "' is " + type + ", given integers");
    }
    int n = in.longs().remaining();
    IntBuffer scratch = narrowed.get(tensor);
    if (scratch == null || scratch.capacity() < n) {
      scratch = ByteBuffer.allocateDirect(Math.max(n, 16) * 2 * Integer.BYTES).order(ByteOrder.nativeOrder())
          .asIntBuffer();
      narrowed.put(tensor, scratch);
    }
    IntBuffer view = scratch.duplicate().position(0).limit(n).slice();
    for (int i = 0; i < n; i++) view.put(i, Math.toIntExact(in.longs().get(in.longs().position() + i)));
    return new IntPointer(view);
  }

  private void checkProfile(String tensor, long[] shape) {
    try (Dims64 min = engine.getProfileShape(tensor, 0, nvinfer.OptProfileSelector.kMIN);
         Dims64 max = engine.getProfileShape(tensor, 0, nvinfer.OptProfileSelector.kMAX)) {
      if (min.nbDims() != shape.length) {
        throw new InvalidInputException(name + ": input '" + tensor + "' has rank " + min.nbDims() + ", given "
            + Arrays.toString(shape));
      }
      for (int d = 0; d < shape.length; d++) {
        if (shape[d] < min.d(d) || shape[d] > max.d(d)) {
          throw new InvalidInputException(name + ": input '" + tensor + "' shape " + Arrays.toString(shape)
              + " is outside the engine's optimisation profile (dim " + d + " in [" + min.d(d) + ", " + max.d(d)
              + "]); rebuild the engine with larger profiles");
        }
      }
    }
  }

  private static Dims64 dims(long[] shape) {
    Dims64 dims = new Dims64();
    dims.nbDims(shape.length);
    for (int d = 0; d < shape.length; d++) dims.d(d, shape[d]);
    return dims;
  }

  /** The runtime this engine was deserialized with. */
  IRuntime runtime() {
    return runtime;
  }

  @Override
  public void close() {
    device.values().forEach(DeviceBuffer::close);
    device.clear();
  }
}
