package org.moellava.runtime.trt;

import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.moellava.error.BackendUnavailableException;
import org.moellava.error.InvalidInputException;
import org.moellava.pkg.GraphNames;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.TensorRtProbe;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.ModelInfos;
import org.moellava.runtime.OutputBuffers;
import org.moellava.runtime.Tensors;

/**
 * The {@link Backend} on TensorRT plans listed in a package's {@code model.json} under the roles
 * {@code vision.engine}, {@code embed.engine} and {@code decoder.engine}; the engines' tensors carry the ONNX
 * names (docs/architecture.md §3). All three run on one CUDA stream; shapes must lie inside the plans' optimisation
 * profiles ({@code model.json} {@code tensorrt}). Where TensorRT cannot load ({@link TensorRtProbe}), opening fails
 * with {@code TensorRT unavailable: <reason>}.
 */
public final class TrtBackend implements Backend {
  /** {@code model.json} roles of the three plans. */
  public static final List<String> ENGINE_ROLES = List.of("vision.engine", "embed.engine", "decoder.engine");

  private final PackageManifest manifest;
  private final ModelInfo info;
  private final CUstream_st stream;
  private final TrtEngine vision;
  private final TrtEngine embed;
  private final TrtEngine decoder;
  private final OutputBuffers outputs = new OutputBuffers();

  private TrtBackend(Path dir, PackageManifest manifest) {
    this.manifest = manifest;
    this.info = ModelInfos.of(manifest);
    IRuntime runtime = nvinfer.createInferRuntime(new TrtLogger());
    if (runtime == null || runtime.isNull()) {
      throw new BackendUnavailableException("TensorRT unavailable: createInferRuntime returned null");
    }
    CUstream_st s = new CUstream_st();
    CudaCalls.check(cudaStreamCreate(s), "cudaStreamCreate");
    this.stream = s;
    List<TrtEngine> opened = new ArrayList<>();
    try {
      for (String role : ENGINE_ROLES) {
        String file = manifest.files().get(role);
        if (file == null) {
          throw new InvalidInputException(dir.resolve(PackageManifest.FILE_NAME) + ": files has no '" + role
              + "' entry: the package has no TensorRT engines (export it with TensorRT engines)");
        }
        opened.add(new TrtEngine(dir.resolve(file), runtime));
      }
      requireTensors(opened.get(0), "vision.engine", List.of(GraphNames.PIXEL_VALUES, GraphNames.IMAGE_FEATURES));
      requireTensors(opened.get(1), "embed.engine", List.of(GraphNames.INPUT_IDS, GraphNames.IMAGE_FEATURES,
          GraphNames.INPUTS_EMBEDS));
      List<String> decoderTensors = new ArrayList<>(List.of(GraphNames.INPUTS_EMBEDS, GraphNames.ATTENTION_MASK,
          GraphNames.POSITION_IDS, GraphNames.LOGITS));
      for (int i = 0; i < info.numLayers(); i++) {
        decoderTensors.addAll(List.of(GraphNames.pastKey(i), GraphNames.pastValue(i), GraphNames.presentKey(i),
            GraphNames.presentValue(i)));
      }
      for (int layer : info.moeLayers()) decoderTensors.add(GraphNames.routerLogits(layer));
      requireTensors(opened.get(2), "decoder.engine", decoderTensors);
    } catch (RuntimeException e) {
      opened.forEach(TrtEngine::close);
      cudaStreamDestroy(stream);
      throw e;
    }
    this.vision = opened.get(0);
    this.embed = opened.get(1);
    this.decoder = opened.get(2);
  }

  private static void requireTensors(TrtEngine engine, String role, List<String> names) {
    for (String name : names) {
      if (!engine.has(name)) throw new InvalidInputException(role + ": the engine has no tensor '" + name + "'");
    }
  }

  /**
   * Opens the TensorRT plans of the package in {@code dir}.
   *
   * @throws BackendUnavailableException {@code TensorRT unavailable: <reason>} where TensorRT cannot load
   */
  public static TrtBackend open(Path dir) {
    TensorRtProbe.Availability a = TensorRtProbe.availability();
    if (!a.available()) throw new BackendUnavailableException("TensorRT unavailable: " + a.reason());
    return new TrtBackend(dir, PackageManifestIO.read(dir));
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public String name() {
    return "tensorrt";
  }

  /** The package's manifest. */
  public PackageManifest manifest() {
    return manifest;
  }

  @Override
  public FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch) {
    Map<String, TrtEngine.HostInput> in = Map.of(GraphNames.PIXEL_VALUES,
        TrtEngine.HostInput.of(pixelValues, batch, 3, info.imageSize(), info.imageSize()));
    return vision.run(in, outputs, stream).get(GraphNames.IMAGE_FEATURES); // [B, P, D]
  }

  @Override
  public FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures) {
    long featureCount = (long) batch * info.numImageTokens() * info.hiddenSize();
    FloatBuffer features = imageFeatures != null ? imageFeatures : Tensors.floats(featureCount);
    Map<String, TrtEngine.HostInput> in = new LinkedHashMap<>();
    in.put(GraphNames.INPUT_IDS, TrtEngine.HostInput.of(inputIds, batch, seq));
    in.put(GraphNames.IMAGE_FEATURES, TrtEngine.HostInput.of(features, batch, info.numImageTokens(),
        info.hiddenSize()));
    return embed.run(in, outputs, stream).get(GraphNames.INPUTS_EMBEDS); // [B, S, D]
  }

  @Override
  public DecoderOutput decode(DecoderInput d) {
    long[] past = {d.batch(), info.numKeyValueHeads(), d.pastLength(), info.headDim()};
    Map<String, TrtEngine.HostInput> in = new LinkedHashMap<>();
    in.put(GraphNames.INPUTS_EMBEDS, TrtEngine.HostInput.of(d.inputsEmbeds(), d.batch(), d.seq(), info.hiddenSize()));
    in.put(GraphNames.ATTENTION_MASK, TrtEngine.HostInput.of(d.attentionMask(), d.batch(), d.pastLength() + d.seq()));
    in.put(GraphNames.POSITION_IDS, TrtEngine.HostInput.of(d.positionIds(), d.batch(), d.seq()));
    for (int i = 0; i < info.numLayers(); i++) {
      in.put(GraphNames.pastKey(i), TrtEngine.HostInput.of(d.pastKeys().get(i), past));
      in.put(GraphNames.pastValue(i), TrtEngine.HostInput.of(d.pastValues().get(i), past));
    }
    Map<String, FloatBuffer> out = decoder.run(in, outputs, stream);
    List<FloatBuffer> keys = new ArrayList<>();
    List<FloatBuffer> values = new ArrayList<>();
    for (int i = 0; i < info.numLayers(); i++) {
      keys.add(out.get(GraphNames.presentKey(i)));
      values.add(out.get(GraphNames.presentValue(i)));
    }
    List<FloatBuffer> router = new ArrayList<>();
    for (int layer : info.moeLayers()) router.add(out.get(GraphNames.routerLogits(layer)));
    FloatBuffer logits = out.get(GraphNames.LOGITS);
    boolean lastOnly = d.seq() > 1 && logits.limit() == d.batch() * info.vocabSize();
    return new DecoderOutput(logits, lastOnly, keys, values, router);
  }

  @Override
  public void close() {
    for (TrtEngine e : new TrtEngine[] {decoder, embed, vision}) e.close();
    cudaStreamDestroy(stream);
  }
}
