package org.moellava.export.pkg;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.io.InitializerSpill;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.export.spec.PackageGraphs;
import org.moellava.export.tensorrt.EngineBuilder;
import org.moellava.export.validate.ConformanceCheck;
import org.moellava.export.validate.RecordedReference;
import org.moellava.export.validate.ConformanceReport;
import org.moellava.export.validate.OnnxFileValidator;
import org.moellava.export.validate.QuantizedConformanceCheck;
import org.moellava.export.quant.QuantFormat;
import org.moellava.export.quant.QuantScheme;
import org.moellava.pkg.PackageQuantization;
import org.moellava.runtime.conformance.QuantizedTolerance;
import org.moellava.io.AtomicFiles;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.tensor.TensorValue;

/**
 * {@code moellava export}: checkpoint to model package (docs/architecture.md §3). The package is built in a staging
 * directory beside {@code out}: ONNX files, {@code tokenizer.json} (when the checkpoint has one), optional TensorRT engines, then validation (ONNX
 * checker with shape inference on every file, ONNX Runtime against the TF graphs, written to
 * {@value #CONFORMANCE_FILE}), then {@code model.json}; only a package that passed is renamed to {@code out}. On any
 * failure nothing is left behind.
 */
public final class PackageExporter {
  /** The validation report inside a package. */
  public static final String CONFORMANCE_FILE = "conformance.json";
  /** The tokenizer inside a package. */
  public static final String TOKENIZER_FILE = "tokenizer.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * What an export produced.
   *
   * @param directory the published package
   * @param manifest its {@code model.json}
   * @param conformance its validation report
   * @param seconds wall time of the export
   * @param bytes total size of the package's files
   */
  public record Result(Path directory, PackageManifest manifest, ConformanceReport conformance, double seconds,
      long bytes) {}

  private final ExportOptions options;

  public PackageExporter(ExportOptions options) {
    this.options = options;
  }

  /** Exports {@code checkpoint} to the new package directory {@code out}. */
  public Result export(Path checkpoint, Path out) {
    long start = System.nanoTime();
    if (Files.exists(out)) {
      throw new InvalidInputException(out + ": already exists; choose a new --out directory (nothing was written)");
    }
    if (options.tensorRt() != null) {
      var trt = org.moellava.runtime.TensorRtProbe.availability();
      if (!trt.available()) {
        throw new org.moellava.error.BackendUnavailableException("TensorRT unavailable: " + trt.reason());
      }
    }
    refusePackageAsCheckpoint(checkpoint);
    CheckpointReader reader = CheckpointReader.open(checkpoint);
    ModelConfig config = reader.config();
    if (options.moeMode() == org.moellava.export.moe.MoeMode.ORT_FUSED
        && config.textConfig().mlpType() != org.moellava.config.MlpType.SWIGLU) {
      throw new InvalidInputException(checkpoint + ": --moe ort-fused needs SwiGLU experts, but this checkpoint's "
          + "decoder_style \"" + config.textConfig().decoderStyle() + "\" has fc1/fc2 experts (text_config.mlp_type "
          + config.textConfig().mlpType() + "); export with --moe standard (nothing was written)");
    }
    List<String> names = CheckpointConsistency.check(reader, config);
    byte[] tokenizer = reader.tokenizerJson().orElse(null); // an imported checkpoint may have none
    // read one variable at a time when asked for: the converted graphs and the reference hold the only copies
    Map<String, TensorValue> weights = reader.lazyVariables(names);

    Path staging = AtomicFiles.stagingDirectoryFor(out);
    try {
      Map<String, String> files = new LinkedHashMap<>();
      PackageConverter converter = new PackageConverter(config, options);
      OnnxModelWriter writer = new OnnxModelWriter(options.externalDataThreshold());
      // each graph written and dropped before the next is converted; a model too large to hold twice streams its
      // initializers into the staging .data files as they are made (the heap keeps names and offsets)
      boolean stream = streams(config, options);
      converter.convert(weights,
          name -> stream ? InitializerSpill.create(staging.resolve("." + name + ".onnx.data.spill")) : null,
          (name, model, spill) -> {
            String file = name + ".onnx";
            if (spill == null) writer.write(model, staging.resolve(file));
            else writer.write(model, staging.resolve(file), spill);
            files.put(name, file);
          });
      System.gc(); // at full size: give the converted graphs' heap back before the validation's models load
      if (tokenizer != null) {
        Files.write(staging.resolve(TOKENIZER_FILE), tokenizer);
        files.put("tokenizer", TOKENIZER_FILE);
      }
      for (String f : List.of("vision.onnx", "embed.onnx", "decoder.onnx")) OnnxFileValidator.check(staging.resolve(f));
      ConformanceReport report = conform(config, weights, staging, modelId(checkpoint));
      Files.writeString(staging.resolve(CONFORMANCE_FILE), JSON.writeValueAsString(report) + "\n");
      if (!report.passed() && report.quantized() != null) {
        throw new InvalidInputException("export failed validation against TensorFlow: quantized "
            + options.quantize().scheme().id() + ": " + String.join("; ", report.quantized().failures())
            + "; nothing was written to " + out);
      }
      if (!report.passed()) {
        ConformanceReport.Check c = report.firstFailure();
        throw new InvalidInputException("export failed validation against TensorFlow: " + c.name()
            + " relative error " + String.format("%.3g", c.relativeError()) + ", routing mismatches "
            + c.routingMismatches() + " (tolerance " + report.tolerance() + "); nothing was written to " + out);
      }
      PackageManifest.TensorRtProfiles profiles = null;
      if (options.tensorRt() != null) {
        files.putAll(new EngineBuilder(options.tensorRt()).buildAll(staging, config));
        profiles = options.tensorRt().profiles();
      }
      PackageManifestIO.write(manifest(config, modelId(checkpoint), files, profiles)
          .withQuantization(quantization(converter.quantizedTensors())), staging);
      PackageManifest manifest = PackageManifestIO.read(staging);
      AtomicFiles.publishDirectory(staging, out);
      return new Result(out, manifest, report, (System.nanoTime() - start) / 1e9, sizeOf(out));
    } catch (IOException e) {
      AtomicFiles.deleteRecursively(staging);
      throw new InvalidInputException(staging + ": cannot write the package: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      AtomicFiles.deleteRecursively(staging);
      throw e;
    }
  }

  /**
   * Whether the export streams initializers into external data as they are converted: when the model's float32
   * weights are more than the external-data threshold (at full size, and in tests that force external data).
   */
  static boolean streams(ModelConfig config, ExportOptions options) {
    return float32Bytes(config) > options.externalDataThreshold();
  }

  /**
   * Whether the validation's decoder prompts leave out the image tokens: for models whose float32 weights exceed
   * {@link OnnxModelWriter#DEFAULT_EXTERNAL_THRESHOLD} (full size), where TensorFlow's prefill of two image prompts
   * does not fit beside its weights on a 24 GiB machine. The vision tower is still compared on two images.
   */
  static boolean textOnlyPrompts(ModelConfig config) {
    return float32Bytes(config) > OnnxModelWriter.DEFAULT_EXTERNAL_THRESHOLD;
  }

  /** The model's weights in float32, in bytes: what both decisions above compare with a threshold. */
  private static long float32Bytes(ModelConfig config) {
    return 4L * org.moellava.config.ParameterCount.of(config).grandTotal();
  }

  private ConformanceReport conform(ModelConfig config, Map<String, TensorValue> weights, Path dir, String modelId) {
    // at full size always one after the other: TensorFlow's activations and outputs come on top of its 12.8 GB
    boolean sequential = textOnlyPrompts(config) || ValidationMemory.sequential(config, dir);
    if (options.quantize() == null && sequential) {
      return conformSequentially(config, weights, dir, modelId);
    }
    if (sequential) { // quantized: each side runs end to end on its own, so no recording is needed
      QuantizedTolerance t = options.quantize().effectiveTolerance();
      return new QuantizedConformanceCheck(config, t, QuantizedConformanceCheck.PROMPTS, ConformanceCheck.SEED,
          textOnlyPrompts(config)).runSequentially(() -> new TfBackend(config, weights, modelId),
          () -> OrtBackend.open(dir, config, OrtOptions.cpu(), options.precision().id()), options.precision().id(),
          options.moeMode().id());
    }
    try (TfBackend tf = new TfBackend(config, weights, modelId);
         OrtBackend pkg = OrtBackend.open(dir, config, OrtOptions.cpu(), options.precision().id())) {
      if (options.quantize() != null) {
        QuantizedTolerance t = options.quantize().effectiveTolerance();
        return new QuantizedConformanceCheck(config, t).run(tf, pkg, options.precision().id(),
            options.moeMode().id());
      }
      return new ConformanceCheck(config, options.precision().tolerance(), textOnlyPrompts(config)).run(tf, pkg,
          options.precision().id(), options.moeMode().id());
    }
  }

  /**
   * The same check with TensorFlow and ONNX Runtime never open together: the reference runs first (its outputs
   * recorded on disk beside the staging directory), is closed, then the package runs against the recording.
   */
  private ConformanceReport conformSequentially(ModelConfig config, Map<String, TensorValue> weights, Path dir,
      String modelId) {
    Path recording = null;
    try {
      recording = AtomicFiles.scratchDirectoryIn(dir.toAbsolutePath().getParent(), "validation-");
      org.moellava.runtime.ModelInfo info;
      try (TfBackend tf = new TfBackend(config, weights, modelId)) {
        System.gc(); // at full size: give back the heap the variables passed through before TensorFlow computes
        info = tf.info();
        RecordedReference.Recorder recorder = RecordedReference.recorder(tf, recording);
        new ConformanceCheck(config, options.precision().tolerance(), textOnlyPrompts(config)).run(recorder,
            RecordedReference.mirror(recorder), options.precision().id(), options.moeMode().id());
      }
      try (OrtBackend pkg = OrtBackend.open(dir, config, unpackedOrtOptions(), options.precision().id())) {
        return new ConformanceCheck(config, options.precision().tolerance(), textOnlyPrompts(config)).run(
            RecordedReference.replay(recording, info), pkg, options.precision().id(), options.moeMode().id());
      }
    } finally {
      if (recording != null) AtomicFiles.deleteRecursively(recording);
    }
  }

  /**
   * ONNX Runtime for the sequential validation of an fp32 or fp16 package: without weight pre-packing, so the
   * session keeps the one memory-mapped copy of the weights instead of adding a packed copy of every MatMul weight
   * (at full size 12.1 GB resident after load with it, 6.3-6.8 GB without; the export's peak would be the ONNX
   * Runtime phase). Pre-packing changes the layout MLAS multiplies from, not the model; serving keeps it on.
   */
  private static OrtOptions unpackedOrtOptions() {
    return OrtOptions.cpu().withPrepacking(OrtOptions.Prepacking.OFF);
  }

  private PackageManifest manifest(ModelConfig config, String modelId, Map<String, String> files,
      PackageManifest.TensorRtProfiles profiles) {
    List<Integer> moeLayers = PackageGraphs.moeLayers(config);
    return new PackageManifest(PackageManifest.FORMAT_VERSION, modelId, config.visionConfig().imageSize(),
        config.imageMean(), config.imageStd(), config.imageAspectMode(), config.visionConfig().numPatches(),
        config.imageTokenIndex(), config.textConfig().eosTokenId(), config.textConfig().padTokenId(),
        config.systemPrompt(), PackageManifest.CHAT_TEMPLATE, moeLayers,
        moeLayers.isEmpty() ? "dense" : options.moeMode().id(), options.precision().id(), options.opset(), files,
        profiles, config);
  }

  /** The manifest's {@code quantization}, or null without {@code --quantize}. */
  private PackageQuantization quantization(Map<String, String> tensors) {
    if (options.quantize() == null) return null;
    QuantScheme s = options.quantize().scheme();
    String format = options.quantize().format() == QuantFormat.QDQ ? PackageQuantization.QDQ : null;
    return new PackageQuantization(s.name(), s.bits(), s.blockSize(), s.symmetric(), s.accuracyLevel(), tensors,
        format);
  }

  /** A model package given as the checkpoint: refused, naming its quantization if it has one. */
  private static void refusePackageAsCheckpoint(Path checkpoint) {
    if (!Files.isRegularFile(checkpoint.resolve(PackageManifest.FILE_NAME))) return;
    String what;
    try {
      PackageManifest m = PackageManifestIO.read(checkpoint, PackageManifestIO.Integrity.SKIP);
      what = m.quantized() ? "an already quantized model package (" + m.quantization().id() + ")"
          : "a model package (" + m.precision() + ")";
    } catch (RuntimeException e) {
      what = "a model package";
    }
    throw new InvalidInputException(checkpoint + ": is " + what + ", not a checkpoint; export (and quantize) from "
        + "the checkpoint it was exported from (nothing was written)");
  }

  private static String modelId(Path checkpoint) {
    Path name = checkpoint.toAbsolutePath().normalize().getFileName();
    return name == null ? "model" : name.toString();
  }

  /** Total size of the regular files under {@code dir}. */
  public static long sizeOf(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot list: " + e.getMessage(), e);
    }
  }
}
