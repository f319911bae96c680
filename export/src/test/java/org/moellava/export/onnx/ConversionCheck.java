package org.moellava.export.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.moellava.export.onnx.proto.ModelProto;
import org.tensorflow.Graph;
import org.tensorflow.Session;

/** Converts a TF graph and checks ONNX Runtime's outputs against the TF session's within 1e-5. */
final class ConversionCheck {
  static final double TOLERANCE = 1e-5;

  private ConversionCheck() {}

  /** Converts and validates the result with the ONNX checker (full check, strict shape inference). */
  static ModelProto convert(Graph graph, ExportSpec spec) {
    ModelProto model = TfToOnnxConverter.standard().convert(graph.toGraphDef(), spec);
    try {
      Path file = Files.createTempFile("converted-", ".onnx");
      try {
        Files.write(file, model.toByteArray());
        OnnxChecker.checkFull(file);
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return model;
  }

  /** Runs {@code model} and the TF {@code session} on {@code feeds} and compares every output of {@code spec}. */
  static void assertSameOutputs(Session session, ModelProto model, ExportSpec spec, List<Feed> feeds)
      throws Exception {
    List<String> tfNames = spec.outputs().stream().map(ExportSpec.Output::tfRef).toList();
    List<String> onnxNames = spec.outputs().stream().map(ExportSpec.Output::onnxName).toList();
    List<Arrays2> expected = Backends.runTf(session, feeds, tfNames);
    List<Arrays2> actual = Backends.runOrt(model, feeds, onnxNames);
    for (int i = 0; i < expected.size(); i++) {
      Arrays2.assertClose(spec.graphName() + "/" + onnxNames.get(i), expected.get(i), actual.get(i), TOLERANCE);
    }
  }

  /** Converts a variable-free graph and compares outputs for each feed set. */
  @SafeVarargs
  static ModelProto check(Graph graph, ExportSpec spec, List<Feed>... feedSets) throws Exception {
    ModelProto model = convert(graph, spec);
    try (Session s = new Session(graph)) {
      for (List<Feed> feeds : feedSets) assertSameOutputs(s, model, spec, feeds);
    }
    return model;
  }
}
