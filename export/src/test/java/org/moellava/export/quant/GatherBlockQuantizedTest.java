package org.moellava.export.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.TensorShapeProto;
import org.moellava.export.onnx.proto.TypeProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/**
 * {@code com.microsoft.GatherBlockQuantized} as {@link GatherBlockQuantizedRewriter} writes it, run on ONNX Runtime's
 * CPU kernel, against a plain-Java reference that quantizes the table in double precision element by element
 * ({@link BlockQuantizerTest.Reference}, no packing) and then gathers the dequantized rows: every block size, both
 * bit widths, with and without zero points, repeated and out-of-order ids, int64 ids of rank 2.
 */
class GatherBlockQuantizedTest {
  static final int V = 37;
  static final int D = 256;
  static final long[] IDS = {5, 0, 36, 5, 17, 2, 36, 9};

  @ParameterizedTest(name = "int{0} block {1} symmetric {2}")
  @MethodSource("org.moellava.export.quant.BlockQuantizerTest#schemes")
  void onnxRuntimeGathersTheDequantizedRowsOfThePlainReference(int bits, int bs, boolean sym) throws OrtException {
    QuantScheme s = new QuantScheme(bits, bs, sym, 0);
    float[] table = BlockQuantizerTest.weights(V, D, 21); // [V, D]
    ModelProto model = GatherBlockQuantizedRewriter.rewrite(lookupModel(table), "emb", s).model();
    float[] y = run(model, IDS, 2, 4); // [2, 4, D]
    // the reference quantizes W [K = D, N = V] = table transposed: column v is token v's row
    float[] w = new float[D * V];
    for (int v = 0; v < V; v++) for (int d = 0; d < D; d++) w[d * V + v] = table[v * D + d];
    BlockQuantizerTest.Reference ref = BlockQuantizerTest.Reference.of(w, D, V, s);
    assertEquals(IDS.length * D, y.length);
    for (int i = 0; i < IDS.length; i++) {
      int v = (int) IDS[i];
      for (int d = 0; d < D; d++) {
        double expected = ref.dequantized(d, v);
        assertEquals(expected, y[i * D + d], 1e-6 * Math.abs(expected) + 1e-12, "id " + v + " element " + d);
        double step = ref.scale()[v][d / bs];
        assertTrue(Math.abs(y[i * D + d] - table[v * D + d]) <= step / 2 * (1 + 1e-5) + 1e-12,
            "id " + v + " element " + d + " is within half a step of the fp32 table");
      }
    }
  }

  @Test
  void theFp32TableIsDroppedAndTheSizeIsTheScheme() {
    float[] table = BlockQuantizerTest.weights(V, D, 3);
    MatMulNBitsRewriter.Result r = GatherBlockQuantizedRewriter.rewrite(lookupModel(table), "emb",
        new QuantScheme(4, 32, true, 0));
    assertEquals(Map.of("emb", "int4-b32-sym"), r.tensors());
    List<String> inits = r.model().getGraph().getInitializerList().stream().map(TensorProto::getName).toList();
    assertEquals(List.of("emb/qweight", "emb/scales"), inits);
    TensorProto data = r.model().getGraph().getInitializer(0);
    assertEquals(List.of((long) V, (long) D / 2), data.getDimsList());
    assertEquals(V * D / 2, data.getRawData().size());
    NodeProto n = r.model().getGraph().getNode(0);
    assertEquals("com.microsoft", n.getDomain());
    assertEquals(GatherBlockQuantizedRewriter.OP, n.getOpType());
  }

  @Test
  void aModelWithoutTheLookupIsLeftAloneAndAQuantizedOneIsRefused() {
    float[] table = BlockQuantizerTest.weights(V, D, 3);
    QuantScheme s = new QuantScheme(8, 32, true, 0);
    MatMulNBitsRewriter.Result none = GatherBlockQuantizedRewriter.rewrite(lookupModel(table), "other", s);
    assertTrue(none.tensors().isEmpty());
    ModelProto once = GatherBlockQuantizedRewriter.rewrite(lookupModel(table), "emb", s).model();
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> GatherBlockQuantizedRewriter.rewrite(once, "emb", s));
    assertTrue(e.getMessage().contains("already quantized"), e.getMessage());
  }

  @Test
  void aBlockSizeThatDoesNotDivideTheHiddenSizeIsRefusedNamingTheTable() {
    float[] table = BlockQuantizerTest.weights(V, 96, 3);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> GatherBlockQuantizedRewriter.rewrite(
        lookupModel(table, 96), "emb", new QuantScheme(4, 64, true, 0)));
    assertTrue(e.getMessage().contains("--block-size 64 does not divide K=96 of emb"), e.getMessage());
  }

  /** {@code Gather(emb [V, D], ids [2, 4] int64, axis 0) -> Y [2, 4, D]}. */
  static ModelProto lookupModel(float[] table) {
    return lookupModel(table, D);
  }

  static ModelProto lookupModel(float[] table, int d) {
    GraphProto.Builder g = GraphProto.newBuilder().setName("lookup")
        .addNode(NodeProto.newBuilder().setName("lookup").setOpType("Gather").addInput("emb").addInput("ids")
            .addOutput("Y").addAttribute(NBitsNodes.intAttr("axis", 0)))
        .addInitializer(NBitsNodes.floats("emb", table, table.length / d, d))
        .addInput(value("ids", TensorProto.DataType.INT64_VALUE, 2, 4))
        .addOutput(value("Y", TensorProto.DataType.FLOAT_VALUE, 2, 4, d));
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(NBitsNodes.DOMAIN).setVersion(1))
        .setGraph(g).build();
  }

  static float[] run(ModelProto model, long[] ids, long rows, long cols) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model.toByteArray(), o);
           OnnxTensor in = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {rows, cols});
           OrtSession.Result r = session.run(Map.of("ids", in))) {
        FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
        float[] y = new float[out.remaining()];
        out.get(y);
        return y;
      }
    }
  }

  static ValueInfoProto value(String name, int type, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
  }
}
