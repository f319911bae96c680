package org.moellava.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.export.onnx.io.OnnxModelReader;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.StringStringEntryProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.tensorflow.Graph;
import org.tensorflow.Session;

/** Model files: inline and external data, ONNX checker with full shape inference, ORT loading from disk. */
class OnnxModelWriterTest {
  @TempDir Path dir;

  private static List<Feed> feeds() {
    Random data = new Random(5);
    int d = TinyAttentionGraph.D;
    return List.of(Feed.floats("x", new long[] {2, 4, d}, Arrays2.randomFloats(data, 8 * d)),
        Feed.ints("attention_mask", new long[] {2, 4}, new int[] {1, 1, 1, 1, 1, 1, 1, 0}));
  }

  @Test
  void externalDataAboveThresholdRoundTripsAndRuns() throws Exception {
    try (Graph g = new Graph()) {
      TinyAttentionGraph.build(g, new Random(11));
      ModelProto model = ConversionCheck.convert(g, AttentionExportTest.spec(17));
      Path file = dir.resolve("decoder.onnx");
      new OnnxModelWriter(100).write(model, file);

      Path data = OnnxModelWriter.dataFileFor(file);
      assertTrue(Files.size(data) > 0);
      ModelProto stored = OnnxModelReader.read(file);
      List<TensorProto> external = stored.getGraph().getInitializerList().stream()
          .filter(t -> t.getDataLocation() == TensorProto.DataLocation.EXTERNAL).toList();
      assertFalse(external.isEmpty());
      for (TensorProto t : external) {
        assertTrue(t.getRawData().isEmpty());
        List<String> keys = t.getExternalDataList().stream().map(StringStringEntryProto::getKey).toList();
        assertEquals(List.of("location", "offset", "length"), keys);
        assertEquals("decoder.onnx.data", t.getExternalData(0).getValue());
        assertEquals(0, Long.parseLong(t.getExternalData(1).getValue()) % 4096);
      }
      assertEquals(model, OnnxModelReader.readWithExternalData(file));

      OnnxChecker.checkFull(file);
      List<Arrays2> fromFile = Backends.runOrt(file.toString(), feeds(), List.of("hidden"));
      try (Session s = new Session(g)) {
        List<Arrays2> tf = Backends.runTf(s, feeds(), List.of("out"));
        Arrays2.assertClose("external model", tf.get(0), fromFile.get(0), ConversionCheck.TOLERANCE);
      }
    }
  }

  @Test
  void smallModelStaysInlineAndPassesChecker() throws Exception {
    ModelProto model = AttentionExportTest.export(new Random(11), 18);
    Path file = dir.resolve("inline.onnx");
    new OnnxModelWriter().write(model, file);
    assertFalse(Files.exists(OnnxModelWriter.dataFileFor(file)));
    assertEquals(model, OnnxModelReader.read(file));
    OnnxChecker.checkFull(file);
  }

  @Test
  void checkerRejectsABrokenModel() {
    ModelProto model = AttentionExportTest.export(new Random(11), 17);
    ModelProto broken = model.toBuilder().setGraph(model.getGraph().toBuilder()
        .addNode(NodeProto.newBuilder().setOpType("Add").addInput("no_such_tensor").addInput("x")
            .addOutput("dangling").setName("broken_add"))).build();
    Path file = dir.resolve("broken.onnx");
    new OnnxModelWriter().write(broken, file);
    assertThrows(RuntimeException.class, () -> OnnxChecker.checkFull(file));
  }
}
