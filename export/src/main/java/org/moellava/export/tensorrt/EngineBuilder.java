package org.moellava.export.tensorrt;

import static org.bytedeco.tensorrt.global.nvinfer.createInferBuilder;
import static org.bytedeco.tensorrt.global.nvonnxparser.createParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer.BuilderFlag;
import org.bytedeco.tensorrt.global.nvinfer.LayerType;
import org.bytedeco.tensorrt.global.nvinfer.OptProfileSelector;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.moellava.config.ModelConfig;
import org.moellava.error.BackendUnavailableException;
import org.moellava.error.InvalidInputException;
import org.moellava.export.spec.PackageGraphs;
import org.moellava.pkg.GraphNames;
import org.moellava.io.AtomicFiles;
import org.moellava.runtime.TensorRtProbe;

/**
 * Builds TensorRT 10.6 engine plans ({@code vision.engine}, {@code embed.engine}, {@code decoder.engine}) from a
 * package's standard-form ONNX files with one optimisation profile each: batch, sequence and past length ranges
 * from {@link TensorRtOptions} (the attention mask's length is past + sequence), FP16 / TF32 flags, the builder
 * optimisation level and an optional timing cache file that is read before and written after the builds. A package
 * exported with {@code --quantize int8 --quant-format qdq} is built as an explicitly quantized network (INT8 flag).
 */
public final class EngineBuilder {
  private final TensorRtOptions options;

  public EngineBuilder(TensorRtOptions options) {
    this.options = options;
  }

  /**
   * Builds the engines of the ONNX files in {@code dir} and writes them beside them.
   *
   * @return role (e.g. {@code decoder.engine}) to file name
   * @throws BackendUnavailableException "TensorRT unavailable: reason" where TensorRT cannot load
   */
  public Map<String, String> buildAll(Path dir, ModelConfig config) {
    TensorRtProbe.Availability a = TensorRtProbe.availability();
    if (!a.available()) throw new BackendUnavailableException("TensorRT unavailable: " + a.reason());
    Map<String, String> files = new LinkedHashMap<>();
    try (Logger logger = new Logger()) {
      for (String graph : List.of(PackageGraphs.VISION, PackageGraphs.EMBED, PackageGraphs.DECODER)) {
        String name = graph + ".engine";
        byte[] plan = build(dir.resolve(graph + ".onnx"), logger);
        AtomicFiles.write(dir.resolve(name), plan);
        files.put(name, name);
      }
    }
    return files;
  }

  /** Whether the parsed network holds a Dequantize layer (an ONNX DequantizeLinear). */
  static boolean hasDequantize(INetworkDefinition network) {
    for (int i = 0; i < network.getNbLayers(); i++) {
      if (network.getLayer(i).getType() == LayerType.kDEQUANTIZE) return true;
    }
    return false;
  }

  /** The serialised engine of one ONNX file. */
  byte[] build(Path onnxFile, Logger logger) {
    try (IBuilder builder = createInferBuilder(logger);
         INetworkDefinition network = builder.createNetworkV2(0);
         IParser parser = createParser(network, logger);
         IBuilderConfig config = builder.createBuilderConfig()) {
      if (!parser.parseFromFile(onnxFile.toString(), ILogger.Severity.kWARNING.value)) {
        String why = parser.getNbErrors() > 0 ? parser.getError(0).desc() : logger.lastError();
        throw new InvalidInputException(onnxFile + ": TensorRT's ONNX parser rejected it: " + why);
      }
      IOptimizationProfile profile = builder.createOptimizationProfile();
      for (int i = 0; i < network.getNbInputs(); i++) {
        ITensor input = network.getInput(i);
        for (OptProfileSelector s : OptProfileSelector.values()) {
          profile.setDimensions(input.getName(), s, dims(input, s));
        }
      }
      config.addOptimizationProfile(profile);
      if (hasDequantize(network)) {
        // an explicitly quantized network (--quant-format qdq: int8 DequantizeLinear on the weights). TensorRT 10
        // Developer Guide, "Explicit Quantization": a weakly typed network holding INT8 Q/DQ layers must be built
        // with BuilderFlag::kINT8 enabled (the other way, a strongly typed network from
        // NetworkDefinitionCreationFlag::kSTRONGLY_TYPED, forbids the kFP16 / kTF32 precision flags set below, and
        // would leave every activation in the ONNX model's fp32). No calibrator is set: the scales are in the model.
        config.setFlag(BuilderFlag.kINT8);
      }
      if (options.fp16()) config.setFlag(BuilderFlag.kFP16);
      if (options.tf32()) config.setFlag(BuilderFlag.kTF32);
      config.setBuilderOptimizationLevel(options.optimizationLevel());
      ITimingCache cache = timingCache(config);
      try (IHostMemory plan = builder.buildSerializedNetwork(network, config)) {
        if (plan == null || plan.isNull()) {
          throw new InvalidInputException(onnxFile + ": TensorRT could not build an engine: " + logger.lastError());
        }
        saveTimingCache(cache);
        return bytes(plan.data(), plan.size());
      } finally {
        if (cache != null) cache.close();
      }
    }
  }

  /** The dims of {@code input} at profile point {@code s}: dynamic axes from the options, fixed ones as declared. */
  private Dims64 dims(ITensor input, OptProfileSelector s) {
    Dims64 declared = input.getDimensions();
    Dims64 out = new Dims64();
    out.nbDims(declared.nbDims());
    String name = input.getName();
    for (int axis = 0; axis < declared.nbDims(); axis++) {
      long d = declared.d(axis);
      out.d(axis, d >= 0 ? d : dynamic(name, axis, s.ordinal()));
    }
    return out;
  }

  /** The size of dynamic axis {@code axis} of input {@code name} at point 0 (min), 1 (opt) or 2 (max). */
  long dynamic(String name, int axis, int point) {
    if (axis == 0) return options.batch().get(point);
    if (name.startsWith("past_key_values.")) return options.pastSequence().get(point);
    if (name.equals(GraphNames.ATTENTION_MASK)) {
      return options.pastSequence().get(point) + options.sequence().get(point);
    }
    return options.sequence().get(point);
  }

  private ITimingCache timingCache(IBuilderConfig config) {
    if (options.timingCache() == null) return null;
    byte[] old = new byte[0];
    try {
      if (Files.isRegularFile(options.timingCache())) old = Files.readAllBytes(options.timingCache());
    } catch (IOException e) {
      throw new InvalidInputException(options.timingCache() + ": cannot read the timing cache: " + e.getMessage(), e);
    }
    ITimingCache cache;
    try (BytePointer blob = new BytePointer(old.length == 0 ? 1 : old.length)) {
      blob.put(old);
      cache = config.createTimingCache(blob, old.length);
    }
    config.setTimingCache(cache, false);
    return cache;
  }

  private void saveTimingCache(ITimingCache cache) {
    if (cache == null) return;
    try (IHostMemory blob = cache.serialize()) {
      AtomicFiles.write(options.timingCache(), bytes(blob.data(), blob.size()));
    }
  }

  private static byte[] bytes(Pointer data, long size) {
    if (size > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException("TensorRT plan of " + size + " bytes is larger than 2 GB");
    }
    byte[] out = new byte[(int) size];
    new BytePointer(data).capacity(size).get(out);
    return out;
  }

  /** Keeps the last error TensorRT logged, for messages. */
  static final class Logger extends ILogger {
    private String lastError = "no error was logged";

    @Override
    public void log(Severity severity, String message) {
      if (severity == Severity.kERROR || severity == Severity.kINTERNAL_ERROR) lastError = message;
      if (severity.value <= Severity.kWARNING.value) System.err.println("TensorRT: " + message);
    }

    String lastError() {
      return lastError;
    }
  }
}
