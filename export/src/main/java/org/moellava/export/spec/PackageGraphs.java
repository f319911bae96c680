package org.moellava.export.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.Dim;
import org.moellava.export.onnx.ExportSpec;
import org.moellava.pkg.GraphNames;
import org.moellava.tensor.TensorValue;

/**
 * The ONNX boundary of the three package graphs (docs/architecture.md §3): input and output names, dynamic axes
 * ({@code batch}, {@code sequence}, {@code past_sequence}, {@code total_sequence}) and fixed sizes.
 */
public final class PackageGraphs {
  /** Dynamic axis: batch rows. */
  public static final String BATCH = "batch";
  /** Dynamic axis: new tokens of this call. */
  public static final String SEQUENCE = "sequence";
  /** Dynamic axis: cached tokens. */
  public static final String PAST_SEQUENCE = "past_sequence";
  /** Dynamic axis: past + new tokens (attention mask, present cache). */
  public static final String TOTAL_SEQUENCE = "total_sequence";

  /** Graph (and file stem) names. */
  public static final String VISION = "vision";
  public static final String EMBED = "embed";
  public static final String DECODER = "decoder";

  private PackageGraphs() {}

  /** {@code pixel_values [batch,3,H,W] -> image_features [batch,P,D]}. */
  public static ExportSpec vision(ModelConfig config, Map<String, TensorValue> weights, int opset) {
    VisionConfig v = config.visionConfig();
    int p = v.numPatches();
    int d = config.textConfig().hiddenSize();
    return new ExportSpec(VISION,
        List.of(ExportSpec.Input.of(GraphNames.PIXEL_VALUES, Dim.named(BATCH), Dim.of(v.numChannels()),
            Dim.of(v.imageSize()), Dim.of(v.imageSize()))),
        List.of(ExportSpec.Output.of(GraphNames.IMAGE_FEATURES, GraphNames.IMAGE_FEATURES, Dim.named(BATCH),
            Dim.of(p), Dim.of(d))),
        weights, opset);
  }

  /** {@code input_ids [batch,sequence], image_features [batch,P,D] -> inputs_embeds [batch,sequence,D]}. */
  public static ExportSpec embed(ModelConfig config, Map<String, TensorValue> weights, int opset) {
    int p = config.visionConfig().numPatches();
    int d = config.textConfig().hiddenSize();
    return new ExportSpec(EMBED,
        List.of(ExportSpec.Input.of(GraphNames.INPUT_IDS, Dim.named(BATCH), Dim.named(SEQUENCE)),
            ExportSpec.Input.of(GraphNames.IMAGE_FEATURES, Dim.named(BATCH), Dim.of(p), Dim.of(d))),
        List.of(ExportSpec.Output.of(GraphNames.INPUTS_EMBEDS, GraphNames.INPUTS_EMBEDS, Dim.named(BATCH),
            Dim.named(SEQUENCE), Dim.of(d))),
        weights, opset);
  }

  /**
   * {@code inputs_embeds, attention_mask, position_ids, past_key_values.{i}.key|value -> logits,
   * present.{i}.key|value, router_logits.{j}}.
   */
  public static ExportSpec decoder(ModelConfig config, Map<String, TensorValue> weights, int opset) {
    TextConfig t = config.textConfig();
    List<ExportSpec.Input> inputs = new ArrayList<>();
    inputs.add(ExportSpec.Input.of(GraphNames.INPUTS_EMBEDS, Dim.named(BATCH), Dim.named(SEQUENCE),
        Dim.of(t.hiddenSize())));
    inputs.add(ExportSpec.Input.of(GraphNames.ATTENTION_MASK, Dim.named(BATCH), Dim.named(TOTAL_SEQUENCE)));
    inputs.add(ExportSpec.Input.of(GraphNames.POSITION_IDS, Dim.named(BATCH), Dim.named(SEQUENCE)));
    for (int i = 0; i < t.numHiddenLayers(); i++) {
      inputs.add(ExportSpec.Input.of(GraphNames.pastKey(i), cacheDims(t, PAST_SEQUENCE)));
      inputs.add(ExportSpec.Input.of(GraphNames.pastValue(i), cacheDims(t, PAST_SEQUENCE)));
    }
    List<ExportSpec.Output> outputs = new ArrayList<>();
    outputs.add(ExportSpec.Output.of(GraphNames.LOGITS, GraphNames.LOGITS, Dim.named(BATCH), Dim.named(SEQUENCE),
        Dim.of(t.vocabSize())));
    for (int i = 0; i < t.numHiddenLayers(); i++) {
      outputs.add(ExportSpec.Output.of(GraphNames.presentKey(i), GraphNames.presentKey(i),
          cacheDims(t, TOTAL_SEQUENCE)));
      outputs.add(ExportSpec.Output.of(GraphNames.presentValue(i), GraphNames.presentValue(i),
          cacheDims(t, TOTAL_SEQUENCE)));
    }
    for (int layer : moeLayers(config)) {
      outputs.add(new ExportSpec.Output(GraphNames.routerLogits(layer), GraphNames.routerLogits(layer),
          List.of(Dim.named("batch_x_sequence"), Dim.of(t.numExperts()))));
    }
    return new ExportSpec(DECODER, inputs, outputs, weights, opset);
  }

  /** The decoder-layer indices of the MoE layers, ascending. */
  public static List<Integer> moeLayers(ModelConfig config) {
    TextConfig t = config.textConfig();
    return t.moeLayers().resolve(t.numHiddenLayers());
  }

  /** The integer inputs that the package takes as int64 (ONNX Runtime GenAI convention). */
  public static List<String> int64Inputs(String graph) {
    return switch (graph) {
      case EMBED -> List.of(GraphNames.INPUT_IDS);
      case DECODER -> List.of(GraphNames.ATTENTION_MASK, GraphNames.POSITION_IDS);
      default -> List.of();
    };
  }

  /** The ONNX files of a package directory, sorted. */
  public static List<Path> onnxFiles(Path dir) {
    try (Stream<Path> walk = Files.list(dir)) {
      return new ArrayList<>(walk.filter(p -> p.getFileName().toString().endsWith(".onnx")).sorted().toList());
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot list: " + e.getMessage(), e);
    }
  }

  private static Dim[] cacheDims(TextConfig t, String lengthAxis) {
    return new Dim[] {Dim.named(BATCH), Dim.of(t.numKeyValueHeads()), Dim.named(lengthAxis), Dim.of(t.headDim())};
  }
}
