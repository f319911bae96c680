package org.moellava.graph;

import org.moellava.graph.layers.FeedForward;
import org.moellava.graph.layers.VisionTower;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableSpec;

import org.moellava.pkg.GraphNames;

import java.util.ArrayList;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionConfig;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** Inference graph {@code vision}: {@code pixel_values [B,3,H,W] -> image_features [B,P,D]} (tower + projector). */
public final class VisionGraph extends ModelGraph {
  private final Placeholder<TFloat32> pixelValues;
  private final Operand<TFloat32> imageFeatures;

  private VisionGraph(ModelConfig config) {
    super(config, specs(config));
    VisionConfig v = config.visionConfig();
    pixelValues = tf.withName(GraphNames.PIXEL_VALUES).placeholder(TFloat32.class,
        Placeholder.shape(Shape.of(-1, v.numChannels(), v.imageSize(), v.imageSize())));
    Operand<TFloat32> features = VisionTower.features(tf, variables, config, pixelValues); // [B,P,Dv]
    imageFeatures = tf.withName(GraphNames.IMAGE_FEATURES).identity(FeedForward.projector(tf, variables, features));
  }

  private static List<VariableSpec> specs(ModelConfig config) {
    List<VariableSpec> specs = new ArrayList<>(ModelVariableSpecs.vision(config));
    specs.addAll(ModelVariableSpecs.projector(config));
    return specs;
  }

  /** Builds the graph. */
  public static VisionGraph build(ModelConfig config) {
    return new VisionGraph(config);
  }

  public Placeholder<TFloat32> pixelValues() {
    return pixelValues;
  }

  public Operand<TFloat32> imageFeatures() {
    return imageFeatures;
  }
}
