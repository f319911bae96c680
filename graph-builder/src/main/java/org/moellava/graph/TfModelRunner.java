package org.moellava.graph;

import org.moellava.graph.layers.Tensors;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.WeightLoader;

import org.moellava.pkg.GraphNames;

import org.moellava.tensor.IntTensorValue;

import org.moellava.tensor.TensorValue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Runs the three inference graphs ({@code vision}, {@code embed}, {@code decoder}) in TF sessions on plain Java
 * arrays. Inputs are checked before any session runs. Not thread-safe; close it to free the graphs and sessions.
 */
public final class TfModelRunner implements InferenceModel {

  /** Keys and values per layer, {@code [B, Hkv, T, hd]} each. */
  public record KvCache(List<TensorValue> keys, List<TensorValue> values) {
    public KvCache {
      keys = List.copyOf(keys);
      values = List.copyOf(values);
    }

    /** An empty cache (past length 0) for {@code batch} rows. */
    public static KvCache empty(TextConfig config, int batch) {
      List<TensorValue> empty = new ArrayList<>();
      for (int i = 0; i < config.numHiddenLayers(); i++) {
        empty.add(new TensorValue(new long[] {batch, config.numKeyValueHeads(), 0, config.headDim()}, new float[0]));
      }
      return new KvCache(empty, empty);
    }

    /** The cached sequence length. */
    public long length() {
      return keys.isEmpty() ? 0 : keys.get(0).shape()[2];
    }
  }

  /**
   * One decoder step's outputs.
   *
   * @param logits {@code [B, S, V]}
   * @param present the cache including the new tokens
   * @param routerLogits per MoE layer {@code [B*S, E]}
   */
  public record DecoderOutput(TensorValue logits, KvCache present, Map<Integer, TensorValue> routerLogits) {}

  private final ModelConfig config;
  private final VisionGraph vision;
  private final EmbedGraph embed;
  private final DecoderGraph decoder;
  private final Session visionSession;
  private final Session embedSession;
  private final Session decoderSession;

  /** Builds the graphs for {@code config} and loads {@code weights} (keyed by {@link VariableNames}). */
  public TfModelRunner(ModelConfig config, Map<String, TensorValue> weights) {
    this(config, weights, MoeOptions.Dispatch.SPARSE);
  }

  /** As {@link #TfModelRunner(ModelConfig, Map)} with a choice of expert dispatch (dense only for benchmarks). */
  public TfModelRunner(ModelConfig config, Map<String, TensorValue> weights, MoeOptions.Dispatch dispatch) {
    this.config = config;
    this.vision = VisionGraph.build(config);
    this.embed = EmbedGraph.build(config);
    this.decoder = DecoderGraph.build(config, dispatch);
    this.visionSession = new Session(vision.graph());
    this.embedSession = new Session(embed.graph());
    this.decoderSession = new Session(decoder.graph());
    try {
      WeightLoader.load(visionSession, vision.variables(), weights);
      WeightLoader.load(embedSession, embed.variables(), weights);
      WeightLoader.load(decoderSession, decoder.variables(), weights);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** {@code pixel_values [B,3,H,W]} to {@code image_features [B,P,D]}. */
  public TensorValue imageFeatures(TensorValue pixelValues) {
    InputChecks.pixelValues(config, pixelValues);
    try (TFloat32 pixels = Tensors.floats(pixelValues);
         Result r = visionSession.runner().feed(vision.pixelValues(), pixels).fetch(vision.imageFeatures()).run()) {
      return Tensors.toValue(r.get(0));
    }
  }

  /** {@code input_ids [B,S]} and {@code image_features [B,P,D]} to {@code inputs_embeds [B,S,D]}. */
  public TensorValue embed(IntTensorValue inputIds, TensorValue imageFeatures) {
    InputChecks.tokenIds(config, GraphNames.INPUT_IDS, inputIds);
    InputChecks.imageTokens(config, inputIds, imageFeatures);
    try (TInt32 ids = Tensors.ints(inputIds.data(), inputIds.shape());
         TFloat32 features = Tensors.floats(imageFeatures);
         Result r = embedSession.runner().feed(embed.inputIds(), ids).feed(embed.imageFeatures(), features)
             .fetch(embed.inputsEmbeds()).run()) {
      return Tensors.toValue(r.get(0));
    }
  }

  /**
   * One decoder pass over {@code S} new tokens.
   *
   * @param inputsEmbeds {@code [B, S, D]}
   * @param attentionMask {@code [B, past+S]}
   * @param positionIds {@code [B, S]}
   * @param past the cache from the previous pass, or {@link KvCache#empty}
   */
  public DecoderOutput decode(TensorValue inputsEmbeds, IntTensorValue attentionMask, IntTensorValue positionIds,
      KvCache past) {
    TextConfig t = config.textConfig();
    long[] es = inputsEmbeds.shape();
    if (es.length != 3 || es[0] < 1 || es[2] != t.hiddenSize()) {
      throw new org.moellava.error.InvalidInputException("inputs_embeds: expected shape [B, S, " + t.hiddenSize()
          + "], got " + inputsEmbeds.shapeText());
    }
    long batch = es[0];
    long seq = es[1];
    long pastLength = past.length();
    for (int i = 0; i < t.numHiddenLayers(); i++) {
      long[] expected = {batch, t.numKeyValueHeads(), pastLength, t.headDim()};
      InputChecks.shape(GraphNames.pastKey(i), past.keys().get(i).shape(), expected);
      InputChecks.shape(GraphNames.pastValue(i), past.values().get(i).shape(), expected);
    }
    InputChecks.attentionMask(attentionMask, batch, pastLength + seq);
    InputChecks.shape(GraphNames.POSITION_IDS, positionIds.shape(), batch, seq);

    List<Tensor> inputs = new ArrayList<>();
    try {
      Session.Runner runner = decoderSession.runner();
      runner.feed(decoder.inputsEmbeds(), track(inputs, Tensors.floats(inputsEmbeds)));
      runner.feed(decoder.attentionMask(), track(inputs, Tensors.ints(attentionMask.data(), attentionMask.shape())));
      runner.feed(decoder.positionIds(), track(inputs, Tensors.ints(positionIds.data(), positionIds.shape())));
      for (int i = 0; i < t.numHiddenLayers(); i++) {
        runner.feed(decoder.pastKeys().get(i), track(inputs, Tensors.floats(past.keys().get(i))));
        runner.feed(decoder.pastValues().get(i), track(inputs, Tensors.floats(past.values().get(i))));
      }
      runner.fetch(decoder.logits());
      decoder.presentKeys().forEach(runner::fetch);
      decoder.presentValues().forEach(runner::fetch);
      decoder.routerLogits().values().forEach(runner::fetch);
      try (Result r = runner.run()) {
        int n = t.numHiddenLayers();
        TensorValue logits = Tensors.toValue(r.get(0));
        List<TensorValue> keys = new ArrayList<>();
        List<TensorValue> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          keys.add(Tensors.toValue(r.get(1 + i)));
          values.add(Tensors.toValue(r.get(1 + n + i)));
        }
        Map<Integer, TensorValue> router = new LinkedHashMap<>();
        int index = 1 + 2 * n;
        for (int layer : decoder.routerLogits().keySet()) router.put(layer, Tensors.toValue(r.get(index++)));
        return new DecoderOutput(logits, new KvCache(keys, values), router);
      }
    } finally {
      inputs.forEach(Tensor::close);
    }
  }

  private static <T extends Tensor> T track(List<Tensor> owned, T tensor) {
    owned.add(tensor);
    return tensor;
  }

  /** The model configuration. */
  public ModelConfig config() {
    return config;
  }

  @Override
  public void close() {
    decoderSession.close();
    embedSession.close();
    visionSession.close();
    decoder.close();
    embed.close();
    vision.close();
  }
}
