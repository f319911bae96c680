package org.moellava.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.export.onnx.Dim;
import org.moellava.export.onnx.ExportSpec;
import org.moellava.export.onnx.TfToOnnxConverter;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.ValueInfoProto;
import org.moellava.graph.DecoderGraph;
import org.moellava.graph.EmbedGraph;
import org.moellava.pkg.GraphNames;
import org.moellava.graph.ModelGraph;
import org.moellava.graph.moe.MoeOptions;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.VisionGraph;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;

/**
 * TEST FIXTURE: a model package built in the test from the project's own inference graphs with the export
 * module's TF-to-ONNX converter (independent of the package exporter being written elsewhere). The decoder is
 * converted with dense masked expert dispatch (numerically the same MoE, standard ops only). With
 * {@code int64Ids} the integer inputs are int64 at the ONNX boundary (a Cast to int32 inside), as ONNX Runtime
 * GenAI's convention wants; otherwise they stay int32 as in the TF graphs.
 */
final class TinyPackage {
  private static final int OPSET = 17;

  private TinyPackage() {}

  static Path write(Path dir, ModelConfig config, Map<String, TensorValue> weights, boolean int64Ids) {
    TfToOnnxConverter converter = TfToOnnxConverter.standard();
    OnnxModelWriter writer = new OnnxModelWriter();
    var t = config.textConfig();
    int p = config.visionConfig().numPatches();
    int d = t.hiddenSize();
    try (VisionGraph g = VisionGraph.build(config)) {
      writer.write(converter.convert(g.graph().toGraphDef(), new ExportSpec("vision",
          List.of(ExportSpec.Input.of(GraphNames.PIXEL_VALUES, Dim.named("batch"), Dim.of(3),
              Dim.of(config.visionConfig().imageSize()), Dim.of(config.visionConfig().imageSize()))),
          List.of(ExportSpec.Output.of(GraphNames.IMAGE_FEATURES, GraphNames.IMAGE_FEATURES)), weights, OPSET)),
          dir.resolve("vision.onnx"));
    }
    try (EmbedGraph g = EmbedGraph.build(config)) {
      ModelProto m = converter.convert(g.graph().toGraphDef(), new ExportSpec("embed",
          List.of(ExportSpec.Input.of(GraphNames.INPUT_IDS, Dim.named("batch"), Dim.named("sequence")),
              ExportSpec.Input.of(GraphNames.IMAGE_FEATURES, Dim.named("batch"), Dim.of(p), Dim.of(d))),
          List.of(ExportSpec.Output.of(GraphNames.INPUTS_EMBEDS, GraphNames.INPUTS_EMBEDS)), weights, OPSET));
      writer.write(int64Ids ? int64Inputs(m, List.of(GraphNames.INPUT_IDS)) : m, dir.resolve("embed.onnx"));
    }
    try (ModelGraph g = DecoderGraph.build(config, MoeOptions.Dispatch.DENSE_MASKED)) {
      List<ExportSpec.Input> inputs = new ArrayList<>();
      inputs.add(ExportSpec.Input.of(GraphNames.INPUTS_EMBEDS, Dim.named("batch"), Dim.named("sequence"), Dim.of(d)));
      inputs.add(ExportSpec.Input.of(GraphNames.ATTENTION_MASK, Dim.named("batch"), Dim.named("total")));
      inputs.add(ExportSpec.Input.of(GraphNames.POSITION_IDS, Dim.named("batch"), Dim.named("sequence")));
      List<ExportSpec.Output> outputs = new ArrayList<>();
      outputs.add(ExportSpec.Output.of(GraphNames.LOGITS, GraphNames.LOGITS));
      for (int i = 0; i < t.numHiddenLayers(); i++) {
        Dim[] past = {Dim.named("batch"), Dim.of(t.numKeyValueHeads()), Dim.named("past"), Dim.of(t.headDim())};
        inputs.add(ExportSpec.Input.of(GraphNames.pastKey(i), past));
        inputs.add(ExportSpec.Input.of(GraphNames.pastValue(i), past));
        outputs.add(ExportSpec.Output.of(GraphNames.presentKey(i), GraphNames.presentKey(i)));
        outputs.add(ExportSpec.Output.of(GraphNames.presentValue(i), GraphNames.presentValue(i)));
      }
      for (int layer : t.moeLayerIndices()) {
        outputs.add(ExportSpec.Output.of(GraphNames.routerLogits(layer), GraphNames.routerLogits(layer)));
      }
      ModelProto m = converter.convert(g.graph().toGraphDef(), new ExportSpec("decoder", inputs, outputs, weights,
          OPSET));
      writer.write(int64Ids ? int64Inputs(m, List.of(GraphNames.ATTENTION_MASK, GraphNames.POSITION_IDS)) : m,
          dir.resolve("decoder.onnx"));
    }
    PackageManifestIO.write(new PackageManifest(PackageManifest.FORMAT_VERSION, "tiny-test",
        config.visionConfig().imageSize(), config.imageMean(), config.imageStd(), config.imageAspectMode(), p,
        config.imageTokenIndex(), t.eosTokenId(), t.padTokenId(), config.systemPrompt(), PackageManifest.CHAT_TEMPLATE,
        t.moeLayerIndices(), "standard", "fp32", OPSET,
        Map.of("vision", "vision.onnx", "embed", "embed.onnx", "decoder", "decoder.onnx"),
        // PackageManifestIO cannot read back a manifest without "tensorrt" (FAIL_ON_MISSING_CREATOR_PROPERTIES)
        new PackageManifest.TensorRtProfiles(List.of(1, 1, 8), List.of(1, 64, 256), List.of(0, 64, 256)), config),
        dir);
    return dir;
  }

  /** The named inputs become int64 with a Cast to int32 in front of their uses. */
  static ModelProto int64Inputs(ModelProto model, List<String> names) {
    GraphProto.Builder g = model.getGraph().toBuilder();
    List<NodeProto> nodes = new ArrayList<>();
    for (String name : names) {
      nodes.add(NodeProto.newBuilder().setOpType("Cast").setName(name + "_to_int32").addInput(name)
          .addOutput(name + "_int32").addAttribute(AttributeProto.newBuilder().setName("to")
              .setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.INT32_VALUE)).build());
    }
    for (NodeProto n : g.getNodeList()) {
      NodeProto.Builder b = n.toBuilder();
      for (int i = 0; i < b.getInputCount(); i++) {
        if (names.contains(b.getInput(i))) b.setInput(i, b.getInput(i) + "_int32");
      }
      nodes.add(b.build());
    }
    g.clearNode().addAllNode(nodes);
    for (int i = 0; i < g.getInputCount(); i++) {
      ValueInfoProto in = g.getInput(i);
      if (names.contains(in.getName())) {
        ValueInfoProto.Builder b = in.toBuilder();
        b.getTypeBuilder().getTensorTypeBuilder().setElemType(TensorProto.DataType.INT64_VALUE);
        g.setInput(i, b);
      }
    }
    return model.toBuilder().setGraph(g).build();
  }
}
