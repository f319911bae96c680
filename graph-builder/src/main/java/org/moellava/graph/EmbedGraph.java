package org.moellava.graph;

import org.moellava.graph.layers.DecoderStack;
import org.moellava.graph.variables.ModelVariableSpecs;

import org.moellava.pkg.GraphNames;

import org.moellava.config.ModelConfig;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Inference graph {@code embed}: {@code input_ids [B,S], image_features [B,P,D] -> inputs_embeds [B,S,D]}; the
 * image-token positions take the image features in order.
 */
public final class EmbedGraph extends ModelGraph {
  private final Placeholder<TInt32> inputIds;
  private final Placeholder<TFloat32> imageFeatures;
  private final Operand<TFloat32> inputsEmbeds;

  private EmbedGraph(ModelConfig config) {
    super(config, ModelVariableSpecs.embeddings(config));
    int d = config.textConfig().hiddenSize();
    int p = config.visionConfig().numPatches();
    inputIds = tf.withName(GraphNames.INPUT_IDS).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
    imageFeatures = tf.withName(GraphNames.IMAGE_FEATURES).placeholder(TFloat32.class,
        Placeholder.shape(Shape.of(-1, p, d)));
    inputsEmbeds = tf.withName(GraphNames.INPUTS_EMBEDS).identity(DecoderStack.embed(tf, variables,
        config.imageTokenIndex(), p, config.textConfig(), inputIds, imageFeatures));
  }

  /** Builds the graph. */
  public static EmbedGraph build(ModelConfig config) {
    return new EmbedGraph(config);
  }

  public Placeholder<TInt32> inputIds() {
    return inputIds;
  }

  public Placeholder<TFloat32> imageFeatures() {
    return imageFeatures;
  }

  public Operand<TFloat32> inputsEmbeds() {
    return inputsEmbeds;
  }
}
