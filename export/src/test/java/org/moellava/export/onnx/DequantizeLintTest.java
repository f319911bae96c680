package org.moellava.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.moellava.export.onnx.lint.LintViolation;
import org.moellava.export.onnx.lint.TensorRtLint;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * TensorRT lint rules of {@code DequantizeLinear} (weight-only {@code --quant-format qdq}): the form the exporter
 * writes ({@code W_q int8 [K, N]}, {@code scale fp32 [N]}, axis 1) passes; each departure TensorRT's parser would
 * refuse is flagged by rule.
 */
class DequantizeLintTest {
  static final int K = 6;
  static final int N = 4;

  static TensorProto tensor(String name, int type, byte[] raw, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type)
        .setRawData(ByteString.copyFrom(raw));
    for (long d : dims) t.addDims(d);
    return t.build();
  }

  static TensorProto weight(int type) {
    return tensor("w_q", type, new byte[K * N], K, N);
  }

  static TensorProto scales(long n) {
    return tensor("w_s", TensorProto.DataType.FLOAT_VALUE, new byte[(int) n * 4], n);
  }

  static NodeProto dq(long axis, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setName("dq").setOpType("DequantizeLinear").addOutput("w");
    for (String i : inputs) n.addInput(i);
    if (axis != Long.MIN_VALUE) {
      n.addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(axis));
    }
    return n.build();
  }

  static ModelProto model(NodeProto dq, TensorProto... initializers) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("qdq").addNode(dq)
        .addNode(NodeProto.newBuilder().setName("mm").setOpType("MatMul").addInput("x").addInput("w").addOutput("y"));
    for (TensorProto t : initializers) g.addInitializer(t);
    return ModelProto.newBuilder().setIrVersion(8).setGraph(g)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build();
  }

  static List<String> rules(ModelProto m) {
    return TensorRtLint.check(m).stream().map(LintViolation::rule).toList();
  }

  @Test
  void theExportersFormPasses() {
    assertEquals(List.of(), TensorRtLint.check(model(dq(1, "w_q", "w_s"), weight(TensorProto.DataType.INT8_VALUE),
        scales(N))));
    // the default axis (1), a negative axis, an explicit all-zero int8 zero point, a per-tensor scalar scale
    assertEquals(List.of(), rules(model(dq(Long.MIN_VALUE, "w_q", "w_s"), weight(TensorProto.DataType.INT8_VALUE),
        scales(N))));
    assertEquals(List.of(), rules(model(dq(-1, "w_q", "w_s", "w_z"), weight(TensorProto.DataType.INT8_VALUE),
        scales(N), tensor("w_z", TensorProto.DataType.INT8_VALUE, new byte[N], N))));
    assertEquals(List.of(), rules(model(dq(1, "w_q", "w_s"), weight(TensorProto.DataType.INT8_VALUE),
        tensor("w_s", TensorProto.DataType.FLOAT_VALUE, new byte[4]))));
  }

  @Test
  void flagsAnUnsignedOrWideWeight() {
    List<LintViolation> v = TensorRtLint.check(model(dq(1, "w_q", "w_s"), weight(TensorProto.DataType.UINT8_VALUE),
        scales(N)));
    assertEquals(List.of("dq-type"), v.stream().map(LintViolation::rule).toList());
    assertTrue(v.get(0).toString().contains("UINT8"), v.toString());
  }

  @Test
  void flagsAScaleThatIsNotAConstant() {
    NodeProto dq = dq(1, "w_q", "computed_scale");
    assertTrue(rules(model(dq, weight(TensorProto.DataType.INT8_VALUE))).contains("dq-scale-constant"));
  }

  @Test
  void flagsAnAxisOutOfRangeOrAScaleOfTheWrongLength() {
    assertEquals(List.of("dq-axis"), rules(model(dq(2, "w_q", "w_s"), weight(TensorProto.DataType.INT8_VALUE),
        scales(N))));
    assertEquals(List.of("dq-axis"), rules(model(dq(0, "w_q", "w_s"), weight(TensorProto.DataType.INT8_VALUE),
        scales(N)))); // K = 6 rows, 4 scales
    assertEquals(List.of("dq-axis"), rules(model(dq(1, "w_q", "w_s"), weight(TensorProto.DataType.INT8_VALUE),
        tensor("w_s", TensorProto.DataType.FLOAT_VALUE, new byte[K * N * 4], K, N))));
  }

  @Test
  void flagsANonZeroZeroPointAndBlockwiseDequantization() {
    byte[] zp = new byte[N];
    zp[2] = 3;
    assertEquals(List.of("dq-zero-point"), rules(model(dq(1, "w_q", "w_s", "w_z"),
        weight(TensorProto.DataType.INT8_VALUE), scales(N), tensor("w_z", TensorProto.DataType.INT8_VALUE, zp, N))));
    NodeProto blockwise = dq(1, "w_q", "w_s").toBuilder().addAttribute(AttributeProto.newBuilder()
        .setName("block_size").setType(AttributeProto.AttributeType.INT).setI(32)).build();
    assertTrue(rules(model(blockwise, weight(TensorProto.DataType.INT8_VALUE), scales(N))).contains("dq-blockwise"));
  }
}
