package org.moellava.runtime.ort;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.pkg.GraphNames;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.Device;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.ModelInfos;
import org.moellava.runtime.OutputBuffers;

/**
 * The {@link Backend} on ONNX Runtime over a model package ({@code model.json}, {@code vision.onnx},
 * {@code embed.onnx}, {@code decoder.onnx}; docs/architecture.md §3), or over the ONNX files of a package an export is
 * still validating ({@link #open(Path, ModelConfig, OrtOptions, String)}). Inputs are wrapped in place
 * ({@code OnnxTensor.createTensor} over the caller's direct buffers); the decoder writes its {@code present.*}
 * and {@code router_logits.*} outputs straight into reused direct buffers passed as pinned outputs, and only
 * the logits are copied out. Every tensor and result is closed within its call.
 */
public final class OrtBackend implements Backend {
  static {
    OrtNatives.configure(); // before the first ONNX Runtime class loads its natives
  }

  private static final String VISION = "vision";
  private static final String EMBED = "embed";
  private static final String DECODER = "decoder";
  /** {@code model.json}'s precision of an fp16 package ({@link OrtSessions#FP16_CPU_DISABLED_OPTIMIZER}). */
  private static final String FP16 = "fp16";

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final PackageManifest manifest;
  private final Map<String, String> files;
  private final ModelInfo info;
  private final OrtOptions options;
  private final OrtSession vision;
  private final OrtSession embed;
  private final OrtSession decoder;
  private final Map<String, OnnxJavaType> embedTypes;
  private final Map<String, OnnxJavaType> decoderTypes;
  private final Map<String, IntBuffer> narrowScratch = new HashMap<>();
  private final OutputBuffers outputs = new OutputBuffers();

  private OrtBackend(Path dir, PackageManifest manifest, Map<String, String> files, ModelInfo info,
      OrtOptions options, Path decoderProfile, boolean fp16) throws OrtException {
    this.manifest = manifest;
    this.files = files;
    this.info = info;
    this.options = options;
    OrtSession v = null;
    OrtSession e = null;
    OrtSession d = null;
    try {
      v = OrtSessions.open(env, file(dir, VISION), options, fp16);
      e = OrtSessions.open(env, file(dir, EMBED), options, fp16);
      if (decoderProfile == null) {
        d = OrtSessions.open(env, file(dir, DECODER), options, fp16);
      } else {
        Path decoder = file(dir, DECODER);
        try (OrtSession.SessionOptions profiled = OrtSessions.sessionOptions(options, fp16)) {
          profiled.enableProfiling(decoderProfile.toString());
          d = OrtSessions.open(env, decoder, profiled);
        }
      }
    } catch (OrtException | RuntimeException ex) {
      for (OrtSession s : new OrtSession[] {d, e, v}) closeQuietly(s);
      throw ex;
    }
    this.vision = v;
    this.embed = e;
    this.decoder = d;
    try {
      this.embedTypes = OrtInputs.inputTypes(embed, EMBED);
      this.decoderTypes = OrtInputs.inputTypes(decoder, DECODER);
      OrtInputs.requireInputs(OrtInputs.inputTypes(vision, VISION), VISION, List.of(GraphNames.PIXEL_VALUES));
      OrtInputs.requireInputs(embedTypes, EMBED, List.of(GraphNames.INPUT_IDS, GraphNames.IMAGE_FEATURES));
      List<String> decoderInputs = new ArrayList<>(List.of(GraphNames.INPUTS_EMBEDS, GraphNames.ATTENTION_MASK,
          GraphNames.POSITION_IDS));
      for (int i = 0; i < info.numLayers(); i++) {
        decoderInputs.add(GraphNames.pastKey(i));
        decoderInputs.add(GraphNames.pastValue(i));
      }
      OrtInputs.requireInputs(decoderTypes, DECODER, decoderInputs);
      for (String out : decoderOutputNames()) {
        if (!decoder.getOutputNames().contains(out)) {
          throw new InvalidInputException(DECODER + ": has no output '" + out + "' (outputs: "
              + decoder.getOutputNames() + ")");
        }
      }
    } catch (RuntimeException ex) {
      close();
      throw ex;
    }
  }

  /**
   * Opens the package in {@code dir}.
   *
   * @throws org.moellava.error.BackendUnavailableException when a requested execution provider is missing
   * @throws InvalidInputException when the package is incomplete or a model does not match the contract
   */
  public static OrtBackend open(Path dir, OrtOptions options) {
    return open(dir, options, null);
  }

  /**
   * Opens the package in {@code dir} with ONNX Runtime's profiler on the decoder session
   * ({@code SessionOptions.enableProfiling}): its per-node times go to a JSON file named from {@code profilePrefix}
   * (ONNX Runtime appends a timestamp), written by {@link #endDecoderProfiling()}. For {@code bench profile}.
   */
  public static OrtBackend openProfiled(Path dir, OrtOptions options, Path profilePrefix) {
    return open(dir, options, java.util.Objects.requireNonNull(profilePrefix, "profilePrefix"));
  }

  private static OrtBackend open(Path dir, OrtOptions options, Path decoderProfile) {
    OrtSessions.checkProviders(options);
    PackageManifest manifest = PackageManifestIO.read(dir);
    return open(dir, manifest, manifest.files(), ModelInfos.of(manifest), options, decoderProfile,
        FP16.equals(manifest.precision()));
  }

  /** Ends the decoder's profiling ({@link #openProfiled}) and returns the JSON file ONNX Runtime wrote. */
  public Path endDecoderProfiling() {
    try {
      return Path.of(decoder.endProfiling());
    } catch (OrtException e) {
      throw failure(DECODER, e);
    }
  }

  /**
   * Opens the ONNX files of a package that has no {@code model.json} yet, as an export validates its staging
   * directory: {@code vision.onnx}, {@code embed.onnx} and {@code decoder.onnx} in {@code dir}, the model as
   * {@code config} describes it (MoE layers, image tokens, ids), the model id the directory's name.
   * {@link #manifest()} is null.
   *
   * @param precision the package's {@code model.json} precision to be: {@code fp32} or {@code fp16}
   * @throws org.moellava.error.BackendUnavailableException when a requested execution provider is missing
   * @throws InvalidInputException when a file is missing or a model does not match the contract
   */
  public static OrtBackend open(Path dir, ModelConfig config, OrtOptions options, String precision) {
    OrtSessions.checkProviders(options);
    Map<String, String> files = new LinkedHashMap<>();
    for (String role : List.of(VISION, EMBED, DECODER)) files.put(role, role + ".onnx");
    Path name = dir.toAbsolutePath().normalize().getFileName();
    ModelInfo info = ModelInfos.of(config, name == null ? "model" : name.toString());
    return open(dir, null, Map.copyOf(files), info, options, null, FP16.equals(precision));
  }

  private static OrtBackend open(Path dir, PackageManifest manifest, Map<String, String> files, ModelInfo info,
      OrtOptions options, Path decoderProfile, boolean fp16) {
    try {
      return new OrtBackend(dir, manifest, files, info, options, decoderProfile, fp16);
    } catch (OrtException e) {
      throw new InvalidInputException(dir + ": ONNX Runtime cannot open the package: " + e.getMessage(), e);
    }
  }

  private Path file(Path dir, String role) {
    String name = files.get(role);
    if (name == null) {
      throw new InvalidInputException(dir.resolve(PackageManifest.FILE_NAME) + ": files has no '" + role + "' entry");
    }
    return dir.resolve(name);
  }

  /** The package's manifest, or null when opened without one ({@link #open(Path, ModelConfig, OrtOptions, String)}). */
  public PackageManifest manifest() {
    return manifest;
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public String name() {
    return options.device() == Device.CUDA ? (options.tensorRtProvider() ? "onnxruntime-tensorrt" : "onnxruntime-cuda")
        : "onnxruntime-cpu";
  }

  @Override
  public FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch) {
    long[] shape = {batch, 3, info.imageSize(), info.imageSize()};
    Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
    try (OnnxTensor pixels = OnnxTensor.createTensor(env, pixelValues, shape)) {
      FloatBuffer out = pin(pinned, GraphNames.IMAGE_FEATURES, batch, info.numImageTokens(), info.hiddenSize());
      try (OrtSession.Result r = vision.run(Map.of(GraphNames.PIXEL_VALUES, pixels), pinned)) {
        return out; // [B, P, D]
      }
    } catch (OrtException e) {
      throw failure(VISION, e);
    } finally {
      pinned.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures) {
    long featureCount = (long) batch * info.numImageTokens() * info.hiddenSize();
    FloatBuffer features = imageFeatures != null ? imageFeatures : outputs.floats("zero_image_features", featureCount);
    Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
    try (OrtInputs in = new OrtInputs(env, embedTypes, narrowScratch)) {
      in.ints(GraphNames.INPUT_IDS, inputIds, batch, seq)
          .floats(GraphNames.IMAGE_FEATURES, features, batch, info.numImageTokens(), info.hiddenSize());
      FloatBuffer out = pin(pinned, GraphNames.INPUTS_EMBEDS, batch, seq, info.hiddenSize());
      try (OrtSession.Result r = embed.run(in.map(), pinned)) {
        return out; // [B, S, D]
      }
    } catch (OrtException e) {
      throw failure(EMBED, e);
    } finally {
      pinned.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public DecoderOutput decode(DecoderInput in) {
    int b = in.batch();
    int s = in.seq();
    int total = in.pastLength() + s;
    long[] pastShape = {b, info.numKeyValueHeads(), in.pastLength(), info.headDim()};
    long[] presentShape = {b, info.numKeyValueHeads(), total, info.headDim()};
    Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
    List<FloatBuffer> keys = new ArrayList<>();
    List<FloatBuffer> values = new ArrayList<>();
    List<FloatBuffer> router = new ArrayList<>();
    try (OrtInputs inputs = new OrtInputs(env, decoderTypes, narrowScratch)) {
      inputs.floats(GraphNames.INPUTS_EMBEDS, in.inputsEmbeds(), b, s, info.hiddenSize())
          .ints(GraphNames.ATTENTION_MASK, in.attentionMask(), b, total)
          .ints(GraphNames.POSITION_IDS, in.positionIds(), b, s);
      for (int i = 0; i < info.numLayers(); i++) {
        inputs.floats(GraphNames.pastKey(i), in.pastKeys().get(i), pastShape)
            .floats(GraphNames.pastValue(i), in.pastValues().get(i), pastShape);
        keys.add(pin(pinned, GraphNames.presentKey(i), presentShape));
        values.add(pin(pinned, GraphNames.presentValue(i), presentShape));
      }
      for (int layer : info.moeLayers()) {
        router.add(pin(pinned, GraphNames.routerLogits(layer), (long) b * s, info.numExperts())); // [B*S, E]
      }
      try (OrtSession.Result r = decoder.run(inputs.map(), java.util.Set.of(GraphNames.LOGITS), pinned)) {
        OnnxTensor logits = tensor(r, GraphNames.LOGITS);
        long[] shape = logits.getInfo().getShape();
        boolean lastOnly = shape.length == 3 && shape[1] == 1 && s > 1;
        return new DecoderOutput(copyOut(logits, GraphNames.LOGITS), lastOnly, keys, values, router);
      }
    } catch (OrtException e) {
      throw failure(DECODER, e);
    } finally {
      pinned.values().forEach(OnnxTensor::close);
    }
  }

  private FloatBuffer pin(Map<String, OnnxTensor> pinned, String name, long... shape) throws OrtException {
    long count = 1;
    for (long d : shape) count *= d;
    FloatBuffer buffer = outputs.floats(name, count);
    pinned.put(name, OnnxTensor.createTensor(env, buffer, shape));
    return buffer;
  }

  private List<String> decoderOutputNames() {
    List<String> names = new ArrayList<>(List.of(GraphNames.LOGITS));
    for (int i = 0; i < info.numLayers(); i++) {
      names.add(GraphNames.presentKey(i));
      names.add(GraphNames.presentValue(i));
    }
    for (int layer : info.moeLayers()) names.add(GraphNames.routerLogits(layer));
    return names;
  }

  private static OnnxTensor tensor(OrtSession.Result r, String name) {
    OnnxValue value = r.get(name).orElseThrow(() -> new IllegalStateException("model returned no '" + name + "'"));
    if (!(value instanceof OnnxTensor t)) throw new IllegalStateException("output '" + name + "' is not a tensor");
    return t;
  }

  private FloatBuffer copyOut(OnnxTensor tensor, String name) {
    long count = tensor.getInfo().getNumElements();
    FloatBuffer out = outputs.floats(name, count);
    FloatBuffer source = tensor.getFloatBuffer(); // ONNX Runtime's Java API copies a result out of native memory
    out.put(0, source, source.position(), Math.toIntExact(count));
    return out;
  }

  private static RuntimeException failure(String model, OrtException e) {
    return new IllegalStateException(model + ".onnx failed: " + e.getMessage(), e);
  }

  @Override
  public void close() {
    for (OrtSession s : new OrtSession[] {decoder, embed, vision}) closeQuietly(s);
  }

  private static void closeQuietly(OrtSession s) {
    if (s == null) return;
    try {
      s.close();
    } catch (OrtException ignored) {
      // best effort: the other sessions must still close
    }
  }
}
