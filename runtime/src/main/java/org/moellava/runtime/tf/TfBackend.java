package org.moellava.runtime.tf;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.graph.DecoderGraph;
import org.moellava.graph.EmbedGraph;
import org.moellava.graph.VisionGraph;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.graph.variables.WeightLoader;
import org.moellava.pkg.GraphNames;
import org.moellava.tensor.TensorValue;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.ModelInfos;
import org.moellava.runtime.OutputBuffers;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * The {@link Backend} on TensorFlow Java itself, the project's one TensorFlow inference runner: its own inference
 * graphs ({@link VisionGraph}, {@link EmbedGraph}, {@link DecoderGraph}) in three sessions, weights from a checkpoint
 * or from memory (an export's validation, tests). Inputs are copied into TF tensors and outputs copied into reused
 * direct buffers; every tensor and result is closed after its call. Graph integer inputs are int32: ids, mask and
 * positions are narrowed from the contract's int64.
 */
public final class TfBackend implements Backend {
  private final ModelConfig config;
  private final ModelInfo info;
  private final VisionGraph vision;
  private final EmbedGraph embed;
  private final DecoderGraph decoder;
  private final Session visionSession;
  private final Session embedSession;
  private final Session decoderSession;
  private final OutputBuffers outputs = new OutputBuffers();
  private final FloatBuffer noImage;

  /**
   * Builds the graphs of {@code config} and loads {@code weights} (keyed by variable name; entries the graphs do not
   * hold are ignored), with sparse expert dispatch.
   *
   * @throws org.moellava.error.InvalidInputException naming the first missing or mis-shaped weight
   */
  public TfBackend(ModelConfig config, Map<String, TensorValue> weights, String modelId) {
    this(config, weights, modelId, MoeOptions.Dispatch.SPARSE);
  }

  /**
   * As {@link #TfBackend(ModelConfig, Map, String)} with a choice of expert dispatch ({@code DENSE_MASKED} only as a
   * benchmark baseline).
   */
  public TfBackend(ModelConfig config, Map<String, TensorValue> weights, String modelId,
      MoeOptions.Dispatch dispatch) {
    this.config = config;
    this.info = ModelInfos.of(config, modelId);
    this.noImage = org.moellava.runtime.Tensors.floats((long) info.numImageTokens() * info.hiddenSize());
    VisionGraph v = null;
    EmbedGraph e = null;
    DecoderGraph d = null;
    Session vs = null;
    Session es = null;
    Session ds = null;
    try {
      v = VisionGraph.build(config);
      e = EmbedGraph.build(config);
      d = DecoderGraph.build(config, dispatch);
      vs = new Session(v.graph());
      es = new Session(e.graph());
      ds = new Session(d.graph());
      WeightLoader.load(vs, v.variables(), weights);
      WeightLoader.load(es, e.variables(), weights);
      WeightLoader.load(ds, d.variables(), weights);
    } catch (RuntimeException ex) {
      for (AutoCloseable c : new AutoCloseable[] {ds, es, vs, d, e, v}) closeQuietly(c);
      throw ex;
    }
    this.vision = v;
    this.embed = e;
    this.decoder = d;
    this.visionSession = vs;
    this.embedSession = es;
    this.decoderSession = ds;
  }

  /**
   * Opens a checkpoint directory: its config and every variable, read from disk one at a time as the sessions load
   * them ({@link CheckpointReader#lazyVariables}), so the Java heap never holds the model (a full-size one is larger
   * than a sensible heap); the model id is the directory's name.
   */
  public static TfBackend fromCheckpoint(Path dir) {
    CheckpointReader reader = CheckpointReader.open(dir);
    ModelConfig config = reader.config();
    java.util.List<String> names = reader.variables().stream().map(v -> v.name()).toList();
    return new TfBackend(config, reader.lazyVariables(names),
        dir.toAbsolutePath().normalize().getFileName().toString());
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public String name() {
    return "tensorflow";
  }

  /** The model config the graphs were built from. */
  public ModelConfig config() {
    return config;
  }

  @Override
  public FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch) {
    int size = info.imageSize();
    long[] shape = {batch, config.visionConfig().numChannels(), size, size};
    try (TFloat32 pixels = TfTensors.floats(pixelValues, shape);
         Result r = visionSession.runner().feed(vision.pixelValues(), pixels).fetch(vision.imageFeatures()).run()) {
      return TfTensors.copyOut(r.get(0), outputs, GraphNames.IMAGE_FEATURES); // [B, P, D]
    }
  }

  @Override
  public FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures) {
    long[] featureShape = {batch, info.numImageTokens(), info.hiddenSize()};
    FloatBuffer features = imageFeatures != null ? imageFeatures : zeros(batch);
    try (Tensor ids = TfTensors.ints(inputIds, batch, seq);
         TFloat32 image = TfTensors.floats(features, featureShape);
         Result r = embedSession.runner().feed(embed.inputIds(), ids).feed(embed.imageFeatures(), image)
             .fetch(embed.inputsEmbeds()).run()) {
      return TfTensors.copyOut(r.get(0), outputs, GraphNames.INPUTS_EMBEDS); // [B, S, D]
    }
  }

  private FloatBuffer zeros(int batch) {
    return batch == 1 ? noImage : org.moellava.runtime.Tensors.floats((long) batch * noImage.capacity());
  }

  @Override
  public DecoderOutput decode(DecoderInput in) {
    TextConfig t = config.textConfig();
    int layers = t.numHiddenLayers();
    long[] pastShape = {in.batch(), t.numKeyValueHeads(), in.pastLength(), t.headDim()};
    List<Tensor> owned = new ArrayList<>();
    try {
      Session.Runner runner = decoderSession.runner();
      runner.feed(decoder.inputsEmbeds(),
          own(owned, TfTensors.floats(in.inputsEmbeds(), in.batch(), in.seq(), t.hiddenSize())));
      runner.feed(decoder.attentionMask(), own(owned, TfTensors.ints(in.attentionMask(), in.batch(),
          in.pastLength() + in.seq())));
      runner.feed(decoder.positionIds(), own(owned, TfTensors.ints(in.positionIds(), in.batch(), in.seq())));
      for (int i = 0; i < layers; i++) {
        runner.feed(decoder.pastKeys().get(i), own(owned, TfTensors.floats(in.pastKeys().get(i), pastShape)));
        runner.feed(decoder.pastValues().get(i), own(owned, TfTensors.floats(in.pastValues().get(i), pastShape)));
      }
      runner.fetch(decoder.logits());
      decoder.presentKeys().forEach(runner::fetch);
      decoder.presentValues().forEach(runner::fetch);
      decoder.routerLogits().values().forEach(runner::fetch);
      try (Result r = runner.run()) {
        FloatBuffer logits = TfTensors.copyOut(r.get(0), outputs, GraphNames.LOGITS); // [B, S, V]
        List<FloatBuffer> keys = new ArrayList<>();
        List<FloatBuffer> values = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
          keys.add(TfTensors.copyOut(r.get(1 + i), outputs, GraphNames.presentKey(i)));
          values.add(TfTensors.copyOut(r.get(1 + layers + i), outputs, GraphNames.presentValue(i)));
        }
        List<FloatBuffer> router = new ArrayList<>();
        int index = 1 + 2 * layers;
        for (int layer : decoder.routerLogits().keySet()) {
          router.add(TfTensors.copyOut(r.get(index++), outputs, GraphNames.routerLogits(layer))); // [B*S, E]
        }
        return new DecoderOutput(logits, false, keys, values, router);
      }
    } finally {
      owned.forEach(Tensor::close);
    }
  }

  private static <T extends Tensor> T own(List<Tensor> owned, T tensor) {
    owned.add(tensor);
    return tensor;
  }

  @Override
  public void close() {
    for (AutoCloseable c : new AutoCloseable[] {decoderSession, embedSession, visionSession, decoder, embed, vision}) {
      closeQuietly(c);
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception ignored) {
      // closing is best effort: the other resources must still be released
    }
  }
}
