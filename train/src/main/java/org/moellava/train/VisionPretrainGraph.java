package org.moellava.train;

import java.util.ArrayList;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionConfig;
import org.moellava.data.synth.Colour;
import org.moellava.data.synth.ObjectSize;
import org.moellava.data.synth.Position;
import org.moellava.data.synth.Shape;
import org.moellava.pkg.GraphNames;
import org.moellava.graph.layers.Linear;
import org.moellava.graph.LossGraph;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.VariableSpec;
import org.moellava.graph.layers.VisionTower;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Vision pretraining on the synthetic world (the stand-in for CLIP): the CLIP tower's features, flattened, feed a
 * linear head ({@code vision_head/kernel [P*Dv, slots*(shapes+1+colours+sizes)]}, {@code vision_head/bias}) that
 * predicts for each of the world's five slots ({@link Position}) the object's shape or "none", its colour and its
 * size; and a per-patch linear head ({@code vision_head/patch/kernel [Dv, shapes+1+colours+sizes]}) applied to every
 * patch feature predicts the shape (or background), colour, size and slot of the object shown on that patch
 * ({@link org.moellava.data.synth.PatchLabels}), so every image token describes its own part of the picture.
 * The loss is the sum of the seven mean cross-entropies (all but shape only where a slot or patch holds an
 * object).
 *
 * <p>Inputs: {@code pixel_values [B,3,H,W]}; {@code shape_labels [B,5]} (0 = empty slot, 1+ordinal of the shape),
 * {@code colour_labels [B,5]} and {@code size_labels [B,5]} (ordinal, -1 for an empty slot); the same per patch,
 * {@code patch_shape_labels}, {@code patch_colour_labels}, {@code patch_size_labels}, and
 * {@code patch_position_labels [B,P]} (slot ordinal, -1 for background).
 */
public final class VisionPretrainGraph extends LossGraph {
  /** Slots per image. */
  public static final int SLOTS = Position.values().length;
  /** Shape classes: "none" plus every shape. */
  public static final int SHAPE_CLASSES = Shape.values().length + 1;
  public static final int COLOUR_CLASSES = Colour.values().length;
  public static final int SIZE_CLASSES = ObjectSize.values().length;
  private static final int PER_SLOT = SHAPE_CLASSES + COLOUR_CLASSES + SIZE_CLASSES;
  /** Per-patch classes: those of a slot plus the slot of the object shown. */
  private static final int PER_PATCH = PER_SLOT + SLOTS;
  /** The head's kernel. */
  public static final String HEAD_KERNEL = VariableNames.VISION_PRETRAIN_HEAD + "/kernel";
  /** The head's bias. */
  public static final String HEAD_BIAS = VariableNames.VISION_PRETRAIN_HEAD + "/bias";
  /** The per-patch head's kernel {@code [Dv, shapes+1+colours+sizes+slots]}, shared by every patch. */
  public static final String PATCH_HEAD_KERNEL = VariableNames.VISION_PRETRAIN_HEAD + "/patch/kernel";
  /** The per-patch head's bias. */
  public static final String PATCH_HEAD_BIAS = VariableNames.VISION_PRETRAIN_HEAD + "/patch/bias";

  private final Placeholder<TFloat32> pixelValues;
  private final Placeholder<TInt32> shapeLabels;
  private final Placeholder<TInt32> colourLabels;
  private final Placeholder<TInt32> sizeLabels;
  private final Placeholder<TInt32> patchShapeLabels;
  private final Placeholder<TInt32> patchColourLabels;
  private final Placeholder<TInt32> patchSizeLabels;
  private final Placeholder<TInt32> patchPositionLabels;
  private final Operand<TFloat32> loss;
  private final Operand<TFloat32> shapeAccuracy;
  private final Operand<TFloat32> patchShapeAccuracy;

  private VisionPretrainGraph(ModelConfig config) {
    super(config, specs(config));
    VisionConfig v = config.visionConfig();
    pixelValues = tf.withName(GraphNames.PIXEL_VALUES).placeholder(TFloat32.class,
        Placeholder.shape(org.tensorflow.ndarray.Shape.of(-1, v.numChannels(), v.imageSize(), v.imageSize())));
    shapeLabels = labels("shape_labels");
    colourLabels = labels("colour_labels");
    sizeLabels = labels("size_labels");
    patchShapeLabels = patchLabels("patch_shape_labels", v.numPatches());
    patchColourLabels = patchLabels("patch_colour_labels", v.numPatches());
    patchSizeLabels = patchLabels("patch_size_labels", v.numPatches());
    patchPositionLabels = patchLabels("patch_position_labels", v.numPatches());
    Operand<TFloat32> features = VisionTower.features(tf, variables, config, pixelValues); // [B,P,Dv]
    Operand<TFloat32> flat = tf.reshape(features, tf.constant(new int[] {-1, v.numPatches() * v.hiddenSize()})); // [B,P*Dv]
    Operand<TFloat32> head = Linear.apply(tf, flat, variables.get(HEAD_KERNEL), variables.get(HEAD_BIAS)); // [B,5*C]
    Operand<TFloat32> perSlot = tf.reshape(head, tf.constant(new int[] {-1, PER_SLOT})); // [B*5,C]
    Operand<TFloat32> shapeLogits = columns(perSlot, 0, SHAPE_CLASSES); // [B*5,9]
    Operand<TFloat32> colourLogits = columns(perSlot, SHAPE_CLASSES, COLOUR_CLASSES); // [B*5,7]
    Operand<TFloat32> sizeLogits = columns(perSlot, SHAPE_CLASSES + COLOUR_CLASSES, SIZE_CLASSES); // [B*5,2]
    Operand<TFloat32> slotLoss = tf.math.add(maskedCrossEntropy(shapeLogits, shapeLabels, SHAPE_CLASSES),
        tf.math.add(maskedCrossEntropy(colourLogits, colourLabels, COLOUR_CLASSES),
            maskedCrossEntropy(sizeLogits, sizeLabels, SIZE_CLASSES)));
    Operand<TFloat32> tokens = tf.reshape(features, tf.constant(new int[] {-1, v.hiddenSize()})); // [B*P,Dv]
    Operand<TFloat32> perPatch = Linear.apply(tf, tokens, variables.get(PATCH_HEAD_KERNEL),
        variables.get(PATCH_HEAD_BIAS)); // [B*P,C]
    Operand<TFloat32> patchShapeLogits = columns(perPatch, 0, SHAPE_CLASSES); // [B*P,9]
    Operand<TFloat32> patchLoss = tf.math.add(maskedCrossEntropy(patchShapeLogits, patchShapeLabels, SHAPE_CLASSES),
        tf.math.add(maskedCrossEntropy(columns(perPatch, SHAPE_CLASSES, COLOUR_CLASSES), patchColourLabels, COLOUR_CLASSES),
            tf.math.add(maskedCrossEntropy(columns(perPatch, SHAPE_CLASSES + COLOUR_CLASSES, SIZE_CLASSES),
                patchSizeLabels, SIZE_CLASSES),
                maskedCrossEntropy(columns(perPatch, PER_SLOT, SLOTS), patchPositionLabels, SLOTS))));
    loss = tf.withName(GraphNames.LOSS).identity(tf.math.add(slotLoss, patchLoss));
    Operand<TInt32> predicted = tf.dtypes.cast(tf.math.argMax(shapeLogits, tf.constant(1)), TInt32.class); // [B*5]
    Operand<TInt32> truth = tf.reshape(shapeLabels, tf.constant(new int[] {-1})); // [B*5]
    shapeAccuracy = tf.withName("shape_accuracy").identity(
        tf.math.mean(tf.dtypes.cast(tf.math.equal(predicted, truth), TFloat32.class), tf.constant(0)));
    patchShapeAccuracy = tf.withName("patch_shape_accuracy").identity(objectPatchAccuracy(patchShapeLogits));
  }

  /** Fraction of object patches (label > 0) whose shape is predicted right. */
  private Operand<TFloat32> objectPatchAccuracy(Operand<TFloat32> logits) {
    Operand<TInt32> truth = tf.reshape(patchShapeLabels, tf.constant(new int[] {-1})); // [B*P]
    Operand<TInt32> predicted = tf.dtypes.cast(tf.math.argMax(logits, tf.constant(1)), TInt32.class); // [B*P]
    Operand<TFloat32> object = tf.dtypes.cast(tf.math.greater(truth, tf.constant(0)), TFloat32.class); // [B*P]
    Operand<TFloat32> right = tf.math.mul(object, tf.dtypes.cast(tf.math.equal(predicted, truth), TFloat32.class));
    return tf.math.div(tf.reduceSum(right, tf.constant(0)),
        tf.math.maximum(tf.reduceSum(object, tf.constant(0)), tf.constant(1f)));
  }

  /**
   * Builds the graph for the vision tower of {@code config}. The synthetic pretraining labels every grid patch and
   * reads one feature per patch, which is a CLIP tower's output; a SigLIP tower (its first patch dropped from the
   * features) comes pretrained and is refused here.
   */
  public static VisionPretrainGraph build(ModelConfig config) {
    if (config.visionConfig().visionStyle() != org.moellava.config.VisionStyle.CLIP) {
      throw new org.moellava.error.ConfigException("vision_config.vision_style: the vision pretraining stage (stage "
          + "vision) trains CLIP towers only, got \"" + config.visionConfig().visionStyle() + "\" (a SigLIP tower "
          + "comes pretrained, e.g. from 'moellava import moellava'; train stages 1-3 on it)");
    }
    return new VisionPretrainGraph(config);
  }

  /** The vision tower's variables and the head's. */
  public static List<VariableSpec> specs(ModelConfig config) {
    VisionConfig v = config.visionConfig();
    List<VariableSpec> specs = new ArrayList<>(ModelVariableSpecs.vision(config));
    specs.add(new VariableSpec(HEAD_KERNEL, new long[] {(long) v.numPatches() * v.hiddenSize(), SLOTS * PER_SLOT},
        VariableSpec.Init.NORMAL));
    specs.add(new VariableSpec(HEAD_BIAS, new long[] {SLOTS * PER_SLOT}, VariableSpec.Init.ZEROS));
    specs.add(new VariableSpec(PATCH_HEAD_KERNEL, new long[] {v.hiddenSize(), PER_PATCH}, VariableSpec.Init.NORMAL));
    specs.add(new VariableSpec(PATCH_HEAD_BIAS, new long[] {PER_PATCH}, VariableSpec.Init.ZEROS));
    return specs;
  }

  private Placeholder<TInt32> labels(String name) {
    return tf.withName(name).placeholder(TInt32.class,
        Placeholder.shape(org.tensorflow.ndarray.Shape.of(-1, SLOTS)));
  }

  private Placeholder<TInt32> patchLabels(String name, int patches) {
    return tf.withName(name).placeholder(TInt32.class,
        Placeholder.shape(org.tensorflow.ndarray.Shape.of(-1, patches)));
  }

  private Operand<TFloat32> columns(Operand<TFloat32> x, int start, int count) {
    return tf.slice(x, tf.constant(new int[] {0, start}), tf.constant(new int[] {-1, count}));
  }

  public Placeholder<TFloat32> pixelValues() {
    return pixelValues;
  }

  public Placeholder<TInt32> shapeLabels() {
    return shapeLabels;
  }

  public Placeholder<TInt32> colourLabels() {
    return colourLabels;
  }

  public Placeholder<TInt32> sizeLabels() {
    return sizeLabels;
  }

  public Placeholder<TInt32> patchShapeLabels() {
    return patchShapeLabels;
  }

  public Placeholder<TInt32> patchColourLabels() {
    return patchColourLabels;
  }

  public Placeholder<TInt32> patchSizeLabels() {
    return patchSizeLabels;
  }

  public Placeholder<TInt32> patchPositionLabels() {
    return patchPositionLabels;
  }

  /** Fraction of object patches whose shape the per-patch head predicts right. */
  public Operand<TFloat32> patchShapeAccuracy() {
    return patchShapeAccuracy;
  }

  /** Sum of the shape, colour and size cross-entropies, per slot plus per patch. */
  @Override
  public Operand<TFloat32> loss() {
    return loss;
  }

  /** Fraction of slots whose shape (or emptiness) is predicted right. */
  public Operand<TFloat32> shapeAccuracy() {
    return shapeAccuracy;
  }
}
