package org.moellava.graph;

import org.moellava.graph.layers.DecoderStack;
import org.moellava.graph.layers.FeedForward;
import org.moellava.graph.layers.TensorOps;
import org.moellava.graph.layers.VisionTower;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.graph.moe.MoeRouting;
import org.moellava.graph.variables.ModelVariableSpecs;

import org.moellava.pkg.GraphNames;

import java.util.LinkedHashMap;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TBool;
import org.tensorflow.op.math.Cumsum;
import org.moellava.graph.variables.VariableNames;
import java.util.List;

/**
 * The training graph: the whole model with the MoE layers in the training form (DeepSpeed capacity), the loss
 * {@code ce + alpha * sum(aux)} and per-layer routing statistics. The optimiser is not part of it: a stage calls
 * {@link #addGradients} for the variable groups it trains.
 *
 * <p>Inputs: {@code pixel_values [B,3,H,W]} f32, {@code input_ids [B,S]}, {@code attention_mask [B,S]},
 * {@code labels [B,S]} (int32, -100 ignored); optional {@code position_ids [B,S]} (default {@code 0..S-1}, as
 * Hugging Face's forward), {@code capacity_factor} (f64, default {@code text_config.capacity_factor}; feed
 * {@code eval_capacity_factor} for evaluation) and, with {@code router_gumbel_noise}, {@code router_noise_scale}
 * (default 1, feed 0 for evaluation). The noise (DeepSpeed's on the second expert) is seeded with
 * {@code training.seed}, one stream per MoE layer: a session draws the same noise run after run.
 */
public final class TrainingGraph extends LossGraph {
  private final Placeholder<TFloat32> pixelValues;
  private final Placeholder<TInt32> inputIds;
  private final Placeholder<TInt32> attentionMask;
  private final Placeholder<TInt32> labels;
  private final Operand<TFloat32> logits;
  private final Operand<TFloat32> loss;
  private final Operand<TFloat32> ceLoss;
  private final Operand<TFloat32> auxLoss;
  private final Map<Integer, Operand<TFloat32>> layerAuxLosses = new LinkedHashMap<>();
  private final Map<Integer, Operand<TInt32>> expertCounts = new LinkedHashMap<>();
  private final Map<Integer, Operand<TInt32>> droppedTokens = new LinkedHashMap<>();

  private TrainingGraph(ModelConfig config) {
    super(config, ModelVariableSpecs.all(config));
    VisionConfig v = config.visionConfig();
    TextConfig t = config.textConfig();
    pixelValues = tf.withName(GraphNames.PIXEL_VALUES).placeholder(TFloat32.class,
        Placeholder.shape(Shape.of(-1, v.numChannels(), v.imageSize(), v.imageSize())));
    inputIds = tf.withName(GraphNames.INPUT_IDS).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
    attentionMask = tf.withName(GraphNames.ATTENTION_MASK).placeholder(TInt32.class,
        Placeholder.shape(Shape.of(-1, -1)));
    labels = tf.withName(GraphNames.LABELS).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
    Operand<TInt32> batch = TensorOps.dim(tf, inputIds, 0);
    Operand<TInt32> seq = TensorOps.dim(tf, inputIds, 1);
    Operand<TInt32> defaultPositions = tf.tile(tf.expandDims(tf.range(tf.constant(0), seq, tf.constant(1)),
        tf.constant(0)), TensorOps.shape(tf, batch, 1)); // [B,S]
    Operand<TInt32> positionIds = tf.withName(GraphNames.POSITION_IDS)
        .placeholderWithDefault(defaultPositions, Shape.of(-1, -1));
    Operand<TFloat64> capacityFactor = tf.withName(GraphNames.CAPACITY_FACTOR)
        .placeholderWithDefault(tf.constant(t.capacityFactor()), Shape.scalar());
    Operand<TFloat32> noiseScale = t.routerGumbelNoise()
        ? tf.withName(GraphNames.ROUTER_NOISE_SCALE).placeholderWithDefault(tf.constant(1f), Shape.scalar())
        : null;

    // the vision tower runs on the rows that show an image only (a text-only row's pixels are never looked at), as
    // transformers' LLaVA encodes only the images it is given
    Operand<TBool> rowHasImage = tf.reduceAny(tf.math.equal(inputIds, tf.constant(config.imageTokenIndex())),
        tf.constant(1)); // [B]
    Operand<TInt64> imageRows = tf.reshape(tf.where(rowHasImage), tf.constant(new long[] {-1})); // [R]
    Operand<TFloat32> shownPixels = tf.gather(pixelValues, imageRows, tf.constant(0)); // [R,3,H,W]
    Operand<TFloat32> features = tf.withName(GraphNames.IMAGE_FEATURES).identity(FeedForward.projector(tf, variables,
        VisionTower.features(tf, variables, config, shownPixels))); // [R,P,D]
    Operand<TFloat32> tokenEmbeds = tf.gather(variables.get(VariableNames.EMBED_TOKENS), inputIds,
        tf.constant(0)); // [B,S,D]
    Operand<TFloat32> embeds = tf.withName(GraphNames.INPUTS_EMBEDS).identity(spliceImageRows(tokenEmbeds,
        rowHasImage, features, config.imageTokenIndex(), v.numPatches(), t.hiddenSize())); // [B,S,D]
    Operand<TFloat32> tokenMask = tf.dtypes.cast(attentionMask, TFloat32.class); // [B,S]
    DecoderStack.Output out = DecoderStack.forward(tf, variables, t, embeds, attentionMask, positionIds, null,
        MoeOptions.training(tokenMask, capacityFactor, noiseScale, t.minCapacity(), config.training().seed()));
    logits = tf.withName(GraphNames.LOGITS).identity(out.logits());
    ceLoss = tf.withName(GraphNames.CE_LOSS).identity(crossEntropy(logits, t.vocabSize()));

    Operand<TFloat32> auxSum = tf.constant(0f);
    for (Map.Entry<Integer, MoeRouting> e : out.routings().entrySet()) {
      int layer = e.getKey();
      MoeRouting r = e.getValue();
      Operand<TFloat32> aux = tf.withName(GraphNames.layerAuxLoss(layer)).identity(r.auxLoss());
      layerAuxLosses.put(layer, aux);
      expertCounts.put(layer, tf.withName(GraphNames.expertCounts(layer)).identity(r.expertCounts()));
      droppedTokens.put(layer, tf.withName(GraphNames.droppedTokens(layer)).identity(r.dropped()));
      tf.withName(GraphNames.routerLogits(layer)).identity(r.logits());
      tf.withName(GraphNames.chosenExperts(layer)).identity(r.chosen());
      auxSum = tf.math.add(auxSum, aux);
    }
    auxLoss = tf.withName(GraphNames.AUX_LOSS).identity(auxSum);
    loss = tf.withName(GraphNames.LOSS).identity(
        tf.math.add(ceLoss, tf.math.mul(auxSum, tf.constant((float) t.routerAuxLossCoef()))));
  }

  /**
   * {@code tokenEmbeds [B,S,D]} with image token k of a row replaced by feature k of that row's image, where
   * {@code features [R,P,D]} holds the images of the rows with {@code rowHasImage [B]} in row order: the values of
   * {@link org.moellava.graph.layers.ImageSplice} (same arithmetic) without encoding the text-only rows' pixels.
   */
  private Operand<TFloat32> spliceImageRows(Operand<TFloat32> tokenEmbeds, Operand<TBool> rowHasImage,
      Operand<TFloat32> features, int imageTokenIndex, int numPatches, int hidden) {
    Operand<TBool> isImageToken = tf.math.equal(inputIds, tf.constant(imageTokenIndex)); // [B,S]
    Operand<TInt32> isImage = tf.dtypes.cast(isImageToken, TInt32.class);
    Operand<TInt32> rank = tf.math.sub(tf.math.cumsum(isImage, tf.constant(1)), tf.constant(1)); // [B,S]
    rank = tf.math.minimum(tf.math.maximum(rank, tf.constant(0)), tf.constant(numPatches - 1));
    Operand<TInt32> ordinal = tf.math.cumsum(tf.dtypes.cast(rowHasImage, TInt32.class), tf.constant(0),
        Cumsum.exclusive(true)); // [B]: the row's image among the R shown
    Operand<TFloat32> flat = tf.concat(List.of(tf.reshape(features, tf.constant(new int[] {-1, hidden})),
        tf.zeros(tf.constant(new int[] {1, hidden}), TFloat32.class)), tf.constant(0)); // [R*P+1,D], last row 0
    Operand<TInt32> zeroRow = tf.math.sub(TensorOps.dim(tf, flat, 0), tf.constant(1)); // R*P
    Operand<TInt32> index = tf.select(isImageToken,
        tf.math.add(rank, tf.math.mul(tf.expandDims(ordinal, tf.constant(1)), tf.constant(numPatches))),
        tf.fill(tf.shape(inputIds), zeroRow)); // [B,S]
    Operand<TFloat32> gathered = tf.gather(flat, index, tf.constant(0)); // [B,S,D]
    Operand<TFloat32> m = tf.expandDims(tf.dtypes.cast(isImage, TFloat32.class), tf.constant(-1)); // [B,S,1]
    return tf.math.add(tf.math.mul(tokenEmbeds, tf.math.sub(tf.constant(1f), m)), tf.math.mul(gathered, m));
  }

  /** Builds the graph. */
  public static TrainingGraph build(ModelConfig config) {
    return new TrainingGraph(config);
  }

  /**
   * Mean cross-entropy over labelled tokens, shifted as Hugging Face does: logits at t predict labels at t+1;
   * {@code -100} labels are ignored (their one-hot row is all zeros).
   */
  private Operand<TFloat32> crossEntropy(Operand<TFloat32> logits, int vocab) {
    Operand<TInt32> shortened = tf.math.sub(TensorOps.dim(tf, logits, 1), tf.constant(1));
    Operand<TFloat32> predicting = TensorOps.sliceAlong(tf, logits, 1, 0, shortened); // [B,S-1,V]
    Operand<TInt32> targets = tf.slice(labels, tf.constant(new int[] {0, 1}), tf.constant(new int[] {-1, -1})); // [B,S-1]
    return maskedCrossEntropy(tf.reshape(predicting, tf.constant(new int[] {-1, vocab})), targets, vocab); // [N,V]
  }

  public Placeholder<TFloat32> pixelValues() {
    return pixelValues;
  }

  public Placeholder<TInt32> inputIds() {
    return inputIds;
  }

  public Placeholder<TInt32> attentionMask() {
    return attentionMask;
  }

  public Placeholder<TInt32> labels() {
    return labels;
  }

  public Operand<TFloat32> logits() {
    return logits;
  }

  /** {@code ce + alpha * sum(aux)}. */
  @Override
  public Operand<TFloat32> loss() {
    return loss;
  }

  public Operand<TFloat32> ceLoss() {
    return ceLoss;
  }

  /** Sum of the per-layer aux losses (before alpha). */
  public Operand<TFloat32> auxLoss() {
    return auxLoss;
  }

  public Map<Integer, Operand<TFloat32>> layerAuxLosses() {
    return layerAuxLosses;
  }

  public Map<Integer, Operand<TInt32>> expertCounts() {
    return expertCounts;
  }

  public Map<Integer, Operand<TInt32>> droppedTokens() {
    return droppedTokens;
  }
}
