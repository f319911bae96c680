package org.moellava.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.moellava.export.onnx.handlers.ConversionContext;
import org.moellava.export.onnx.handlers.OpHandlerRegistry;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.rewrite.TfRewriter;
import org.moellava.export.onnx.tf.TfNode;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;

/** Opset-selected handlers, handler overrides, pattern rewriters and shape folding. */
class RegistryAndRewriterTest {

  @Test
  void registryCoversTheModelOpsAtEveryTargetOpset() {
    OpHandlerRegistry r = OpHandlerRegistry.defaults();
    List<String> ops = List.of("Const", "Identity", "MatMul", "BatchMatMulV2", "BatchMatMulV3", "AddV2", "Sub",
        "Mul", "RealDiv", "Neg", "Exp", "Log", "Sqrt", "Rsqrt", "Square", "Pow", "Erf", "Sigmoid", "Tanh",
        "Softmax", "LogSoftmax", "Mean", "Sum", "Max", "Min", "Reshape", "Transpose", "ConcatV2", "Pack",
        "Unpack", "Split", "SplitV", "Slice", "StridedSlice", "GatherV2", "GatherNd", "ScatterNd",
        "TensorScatterAdd", "UnsortedSegmentSum", "TopKV2", "OneHot", "Cast", "Shape", "Fill", "Range",
        "ExpandDims", "Squeeze", "Tile", "Select", "SelectV2", "Equal", "Less", "Greater", "LogicalAnd",
        "LogicalNot", "Maximum", "Minimum", "Cumsum", "Conv2D", "BiasAdd", "ZerosLike", "OnesLike", "Sin",
        "Cos", "ArgMax", "BroadcastTo", "Einsum");
    for (int opset = OpHandlerRegistry.MIN_OPSET; opset <= OpHandlerRegistry.MAX_OPSET; opset++) {
      assertTrue(r.supportedOps(opset).containsAll(ops), "opset " + opset);
    }
    assertFalse(r.lookup("Mean", 16).isPresent());
  }

  private static ModelProto meanModel(int opset) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(2, 3)));
      tf.withName("m").math.mean(x, tf.constant(new int[] {1}), Mean.keepDims(false));
      return ConversionCheck.convert(g, new ExportSpec("mean", List.of(ExportSpec.Input.of("x", Dim.of(2), Dim.of(3))),
          List.of(ExportSpec.Output.of("m", "m")), Map.of(), opset));
    }
  }

  @Test
  void reduceMeanAxesMoveFromAttributeToInputAtOpset18() {
    NodeProto at17 = meanModel(17).getGraph().getNode(0);
    NodeProto at18 = meanModel(18).getGraph().getNode(0);
    assertEquals(1, at17.getInputCount());
    assertTrue(at17.getAttributeList().stream().anyMatch(a -> a.getName().equals("axes")));
    assertEquals(2, at18.getInputCount());
    assertTrue(at18.getAttributeList().stream().noneMatch(a -> a.getName().equals("axes")));
  }

  @Test
  void patternRewriterAndCustomHandlerReplaceASubgraph() throws Exception {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4)));
      tf.withName("act").math.mul(x, tf.math.sigmoid(x)); // silu, to be fused
      ExportSpec spec = new ExportSpec("fused", List.of(ExportSpec.Input.of("x", Dim.named("n"), Dim.of(4))),
          List.of(ExportSpec.Output.of("act", "act")), Map.of(), 17);
      // Rewriter: Mul(x, Sigmoid(x)) -> one "MoeLlavaSilu" node; handler: ONNX Mul(x, Sigmoid(x)).
      TfRewriter fuseSilu = graph -> graph.withNodes(graph.nodes().stream().map(n -> n.name().equals("act")
          ? n.def().toBuilder().setOp("MoeLlavaSilu").clearInput().addInput("x").clearAttr()
              .putAttr("T", n.def().getAttrMap().get("T")).build() : n.def()).toList());
      OpHandlerRegistry registry = OpHandlerRegistry.defaults().register("MoeLlavaSilu", (TfNode n, ConversionContext ctx) -> {
        String sig = ctx.onnx().node("Sigmoid").input(ctx.input(n, 0)).output(n.name() + "/sig");
        return List.of(ctx.onnx().node("Mul").inputs(ctx.input(n, 0), sig).output(n.name()));
      });
      TfToOnnxConverter converter = new TfToOnnxConverter(registry, List.of(fuseSilu),
          TfToOnnxConverter.standardOptimizers());
      ModelProto m = converter.convert(g.toGraphDef(), spec);
      assertEquals(List.of("Sigmoid", "Mul"), m.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
      try (org.tensorflow.Session s = new org.tensorflow.Session(g)) {
        ConversionCheck.assertSameOutputs(s, m, spec, List.of(Feed.floats("x", new long[] {2, 4},
            new float[] {-3, -1, 0, 0.5f, 1, 2, 4, -0.25f})));
      }
    }
  }

  @Test
  void staticShapeArithmeticIsFolded() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(2, 6)));
      var shape = tf.shape(x);
      var rows = tf.stridedSlice(shape, tf.constant(new int[] {0}), tf.constant(new int[] {1}),
          tf.constant(new int[] {1}), org.tensorflow.op.core.StridedSlice.shrinkAxisMask(1L));
      tf.withName("y").reshape(x, tf.stack(List.of(rows, tf.constant(3), tf.constant(-1))));
      ModelProto m = ConversionCheck.convert(g, new ExportSpec("fold", List.of(ExportSpec.Input.of("x", Dim.of(2), Dim.of(6))),
          List.of(ExportSpec.Output.of("y", "y")), Map.of(), 17));
      assertEquals(List.of("Reshape"), m.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList());
    }
  }
}
