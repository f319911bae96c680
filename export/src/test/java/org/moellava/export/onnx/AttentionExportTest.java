package org.moellava.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.moellava.export.onnx.lint.TensorRtLint;
import org.moellava.export.onnx.proto.ModelProto;
import org.tensorflow.Graph;

/** The tiny attention block: dynamic batch and sequence, two different sizes from one export. */
class AttentionExportTest {

  static ExportSpec spec(int opset) {
    return new ExportSpec("attention",
        List.of(ExportSpec.Input.of("x", Dim.named("batch"), Dim.named("sequence"), Dim.of(TinyAttentionGraph.D)),
            ExportSpec.Input.of("attention_mask", Dim.named("batch"), Dim.named("sequence"))),
        List.of(ExportSpec.Output.of("out", "hidden", Dim.named("batch"), Dim.named("sequence"),
            Dim.of(TinyAttentionGraph.D))),
        Map.of(), opset);
  }

  static ModelProto export(Random rnd, int opset) {
    try (Graph g = new Graph()) {
      TinyAttentionGraph.build(g, rnd);
      return ConversionCheck.convert(g, spec(opset));
    }
  }

  @Test
  void attentionWithMaskAndRopeMatchesTfForTwoShapes() throws Exception {
    Random rnd = new Random(11);
    try (Graph g = new Graph()) {
      TinyAttentionGraph.build(g, rnd);
      Random data = new Random(3);
      int d = TinyAttentionGraph.D;
      List<Feed> small = List.of(Feed.floats("x", new long[] {1, 3, d}, Arrays2.randomFloats(data, 3 * d)),
          Feed.ints("attention_mask", new long[] {1, 3}, new int[] {1, 1, 1}));
      List<Feed> padded = List.of(Feed.floats("x", new long[] {2, 5, d}, Arrays2.randomFloats(data, 10 * d)),
          Feed.ints("attention_mask", new long[] {2, 5}, new int[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}));
      ModelProto model = ConversionCheck.check(g, spec(17), small, padded);
      assertEquals("sequence", model.getGraph().getOutput(0).getType().getTensorType().getShape().getDim(1)
          .getDimParam());
      assertTrue(TensorRtLint.check(model).isEmpty(), TensorRtLint.check(model).toString());
    }
  }
}
