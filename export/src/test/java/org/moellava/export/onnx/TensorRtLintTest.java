package org.moellava.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.graph.OnnxGraphContext;
import org.moellava.export.onnx.lint.LintViolation;
import org.moellava.export.onnx.lint.TensorRtLint;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;

/** TensorRT lint: clean converted models pass; hand-built models with each problem are flagged by node. */
class TensorRtLintTest {
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

  private static ModelProto model(OnnxGraphContext g, long opset, String... customDomains) {
    ModelProto.Builder m = ModelProto.newBuilder().setIrVersion(8).setGraph(g.build())
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset));
    for (String d : customDomains) m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(d).setVersion(1));
    return m.build();
  }

  private static OnnxGraphContext withInput() {
    OnnxGraphContext g = new OnnxGraphContext("lint");
    g.addInput("x", FLOAT, List.of("n", 4L));
    return g;
  }

  private static List<String> rules(ModelProto m) {
    return TensorRtLint.check(m).stream().map(LintViolation::rule).toList();
  }

  @Test
  void convertedAttentionModelIsClean() {
    assertEquals(List.of(), TensorRtLint.check(AttentionExportTest.export(new Random(1), 17)));
  }

  @Test
  void cleanHandBuiltModelPasses() {
    OnnxGraphContext g = withInput();
    String k = g.constant("k", ConstTensor.ofLongs(2));
    List<String> top = g.node("TopK").inputs("x", k).attr("sorted", 1L).outputs("top", 2);
    g.addOutput(top.get(0), FLOAT, null);
    assertEquals(List.of(), TensorRtLint.check(model(g, 17)));
  }

  @Test
  void flagsOpsetOutsideTensorRtRange() {
    OnnxGraphContext g = withInput();
    g.addOutput(g.node("Relu").input("x").output("y"), FLOAT, null);
    assertEquals(List.of("opset"), rules(model(g, 21)));
    assertEquals(List.of("opset"), rules(model(g, 8)));
  }

  @Test
  void flagsMicrosoftDomainImportAndNode() {
    OnnxGraphContext g = withInput();
    String y = g.node("com.microsoft", "MoE").input("x").output("moe");
    g.addOutput(y, FLOAT, null);
    List<LintViolation> v = TensorRtLint.check(model(g, 17, "com.microsoft"));
    assertEquals(List.of("custom-domain", "custom-domain"), v.stream().map(LintViolation::rule).toList());
    assertTrue(v.get(1).where().startsWith("moe/MoE"), v.toString());
  }

  @Test
  void flagsUnsortedTopKAndNamesTheNode() {
    OnnxGraphContext g = withInput();
    List<String> top = g.node("TopK").inputs("x", g.constant("k", ConstTensor.ofLongs(2))).attr("sorted", 0L)
        .outputs("router_top", 2);
    g.addOutput(top.get(1), TensorProto.DataType.INT64_VALUE, null);
    List<LintViolation> v = TensorRtLint.check(model(g, 17));
    assertEquals(1, v.size(), v.toString());
    assertEquals("topk-sorted", v.get(0).rule());
    assertEquals("router_top/TopK", v.get(0).where());
  }

  @Test
  void flagsNonConstantOneHotDepthSliceAxesAndReduceMeanAxes() {
    OnnxGraphContext g = withInput();
    g.addInput("dyn", TensorProto.DataType.INT64_VALUE, List.of(1L));
    String idx = g.node("Cast").input("x").attr("to", (long) TensorProto.DataType.INT64_VALUE).output("idx");
    String oh = g.node("OneHot").inputs(idx, "dyn", g.constant("v", ConstTensor.ofFloats(new long[] {2},
        new float[] {0, 1}))).output("onehot");
    String zero = g.constant("zero", ConstTensor.ofLongs(0));
    String sl = g.node("Slice").inputs("x", zero, g.constant("two", ConstTensor.ofLongs(2)), "dyn").output("sl");
    String rm = g.node("ReduceMean").inputs("x", "dyn").output("rm");
    g.addOutput(oh, FLOAT, null);
    g.addOutput(sl, FLOAT, null);
    g.addOutput(rm, FLOAT, null);
    assertEquals(List.of("onehot-depth", "slice-axes", "reducemean-axes"), rules(model(g, 18)));
  }

  @Test
  void flagsUniqueAndUnsupportedTypes() {
    OnnxGraphContext g = withInput();
    g.addInput("d", TensorProto.DataType.DOUBLE_VALUE, List.of(3L));
    String u = g.node("Unique").input("x").output("u");
    String c = g.node("Cast").input("x").attr("to", (long) TensorProto.DataType.DOUBLE_VALUE).output("c");
    g.addOutput(u, FLOAT, null);
    g.addOutput(c, TensorProto.DataType.DOUBLE_VALUE, null);
    List<String> r = rules(model(g, 17));
    assertEquals(List.of("dtype", "dtype", "unique", "dtype"), r);
  }
}
