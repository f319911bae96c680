package org.moellava.export.quant;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;

/**
 * ONNX Runtime 1.29's CPU {@code com.microsoft.QMoE} with blockwise int4/int8 experts in {@link BlockQuantizer}'s
 * layout equals {@code com.microsoft.MoE} on the dequantized weights (SwiGLU interleaved, k = 2, renormalised), with
 * and without zero points; the schema has no {@code accuracy_level} attribute.
 */
class QMoeKernelTest {
  @Test
  void qmoeEqualsMoeOnTheDequantizedWeights() throws Exception {
    int e = 4, d = 64, inter = 64, tokens = 5;
    for (int bits : new int[] {4, 8}) for (boolean sym : new boolean[] {true, false}) {
      int acc = 0;
      QuantScheme s = new QuantScheme(bits, 32, sym, acc);
      // fc1 [E, 2I, D]: per expert a [K=D, N=2I] matrix in TF layout
      float[] fc1 = BlockQuantizerTest.weights(e * d, 2 * inter, 1);
      float[] fc2 = BlockQuantizerTest.weights(e * inter, d, 2);
      java.io.ByteArrayOutputStream w1 = new java.io.ByteArrayOutputStream(), w2 = new java.io.ByteArrayOutputStream();
      java.io.ByteArrayOutputStream z1 = new java.io.ByteArrayOutputStream(), z2 = new java.io.ByteArrayOutputStream();
      FloatBuffer s1 = FloatBuffer.allocate(e * 2 * inter * d / 32), s2 = FloatBuffer.allocate(e * d * inter / 32);
      float[] dq1 = new float[e * 2 * inter * d], dq2 = new float[e * d * inter]; // [E, N, K]
      for (int x = 0; x < e; x++) {
        QuantizedMatrix a = BlockQuantizer.quantize("fc1", FloatBuffer.wrap(fc1), x * d * 2 * inter, d, 2 * inter, s);
        QuantizedMatrix b = BlockQuantizer.quantize("fc2", FloatBuffer.wrap(fc2), x * inter * d, inter, d, s);
        w1.write(a.packed()); w2.write(b.packed()); s1.put(a.scales()); s2.put(b.scales());
        if (!sym) { z1.write(a.zeroPoints()); z2.write(b.zeroPoints()); }
        float[] da = a.dequantize(), db = b.dequantize();
        for (int k = 0; k < d; k++) for (int n = 0; n < 2 * inter; n++) dq1[(x * 2 * inter + n) * d + k] = da[k * 2 * inter + n];
        for (int k = 0; k < inter; k++) for (int n = 0; n < d; n++) dq2[(x * d + n) * inter + k] = db[k * d + n];
      }
      int pack = 8 / bits;
      GraphProto.Builder g = GraphProto.newBuilder().setName("q");
      NodeProto.Builder node = NodeProto.newBuilder().setName("qmoe").setDomain("com.microsoft").setOpType("QMoE")
          .addInput("x").addInput("r").addInput("w1").addInput("s1").addInput("").addInput("w2").addInput("s2");
      if (!sym) node.addInput("").addInput("").addInput("").addInput("").addInput("z1").addInput("z2");
      node.addOutput("y")
          .addAttribute(NBitsNodes.intAttr("k", 2)).addAttribute(NBitsNodes.intAttr("expert_weight_bits", bits))
          .addAttribute(NBitsNodes.intAttr("block_size", 32)).addAttribute(NBitsNodes.intAttr("swiglu_fusion", 1))
          .addAttribute(NBitsNodes.intAttr("normalize_routing_weights", 1))
          
          .addAttribute(AttributeProto.newBuilder().setName("activation_type").setType(AttributeProto.AttributeType.STRING).setS(com.google.protobuf.ByteString.copyFromUtf8("swiglu")))
          .addAttribute(AttributeProto.newBuilder().setName("activation_alpha").setType(AttributeProto.AttributeType.FLOAT).setF(1f))
          .addAttribute(AttributeProto.newBuilder().setName("activation_beta").setType(AttributeProto.AttributeType.FLOAT).setF(0f))
          .addAttribute(AttributeProto.newBuilder().setName("swiglu_limit").setType(AttributeProto.AttributeType.FLOAT).setF(Float.MAX_VALUE));
      g.addNode(node);
      g.addInitializer(NBitsNodes.uint8("w1", w1.toByteArray(), e, 2 * inter, d / pack));
      g.addInitializer(NBitsNodes.uint8("w2", w2.toByteArray(), e, d, inter / pack));
      g.addInitializer(NBitsNodes.floats("s1", s1.array(), e, 2 * inter, d / 32));
      g.addInitializer(NBitsNodes.floats("s2", s2.array(), e, d, inter / 32));
      if (!sym) {
        g.addInitializer(NBitsNodes.uint8("z1", z1.toByteArray(), e, 2 * inter, d / 32 / pack));
        g.addInitializer(NBitsNodes.uint8("z2", z2.toByteArray(), e, d, inter / 32 / pack));
      }
      g.addInput(BlockQuantizerTest.valueInfo("x", -1, d)).addInput(BlockQuantizerTest.valueInfo("r", -1, e))
          .addOutput(BlockQuantizerTest.valueInfo("y", -1, d));
      // reference: com.microsoft.MoE on the dequantized weights
      GraphProto.Builder g2 = GraphProto.newBuilder().setName("f");
      g2.addNode(NodeProto.newBuilder().setName("moe").setDomain("com.microsoft").setOpType("MoE")
          .addInput("x").addInput("r").addInput("w1").addInput("").addInput("w2").addOutput("y")
          .addAttribute(NBitsNodes.intAttr("k", 2)).addAttribute(NBitsNodes.intAttr("swiglu_fusion", 1))
          .addAttribute(NBitsNodes.intAttr("normalize_routing_weights", 1))
          .addAttribute(AttributeProto.newBuilder().setName("activation_type").setType(AttributeProto.AttributeType.STRING).setS(com.google.protobuf.ByteString.copyFromUtf8("swiglu")))
          .addAttribute(AttributeProto.newBuilder().setName("activation_alpha").setType(AttributeProto.AttributeType.FLOAT).setF(1f))
          .addAttribute(AttributeProto.newBuilder().setName("activation_beta").setType(AttributeProto.AttributeType.FLOAT).setF(0f))
          .addAttribute(AttributeProto.newBuilder().setName("swiglu_limit").setType(AttributeProto.AttributeType.FLOAT).setF(Float.MAX_VALUE)));
      g2.addInitializer(NBitsNodes.floats("w1", dq1, e, 2 * inter, d)).addInitializer(NBitsNodes.floats("w2", dq2, e, d, inter));
      g2.addInput(BlockQuantizerTest.valueInfo("x", -1, d)).addInput(BlockQuantizerTest.valueInfo("r", -1, e))
          .addOutput(BlockQuantizerTest.valueInfo("y", -1, d));
      float[] x = BlockQuantizerTest.weights(tokens, d, 3);
      for (int i = 0; i < x.length; i++) x[i] *= 20;
      float[] r = BlockQuantizerTest.weights(tokens, e, 4);
      for (int i = 0; i < r.length; i++) r[i] *= 50;
      {
        float[] q = run(g, x, r, tokens, d, e);
        float[] f = run(g2, x, r, tokens, d, e);
        double maxAbs = 0, maxRef = 0;
        for (int i = 0; i < q.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(q[i] - f[i])); maxRef = Math.max(maxRef, Math.abs(f[i])); }
        org.junit.jupiter.api.Assertions.assertTrue(maxAbs / maxRef < 1e-5 && maxRef > 0,
            "QMoE int" + bits + " sym " + sym + ": relative error vs MoE(dequantized) " + maxAbs / maxRef);
      }
      if (bits == 4 && sym) { // why QMoeRewriter sets no accuracy_level
        GraphProto.Builder g3 = g.clone().setNode(0, g.getNode(0).toBuilder()
            .addAttribute(NBitsNodes.intAttr("accuracy_level", 4)));
        Exception ex = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> run(g3, x, r, tokens, d, e));
        org.junit.jupiter.api.Assertions.assertTrue(
            ex.getMessage().contains("Unrecognized attribute: accuracy_level for operator QMoE"), ex.getMessage());
      }
    }
  }

  static float[] run(GraphProto.Builder g, float[] x, float[] r, int tokens, int d, int e) throws Exception {
    ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("t")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1)).setGraph(g).build();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
         OrtSession s = env.createSession(model.toByteArray(), o);
         OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {tokens, d});
         OnnxTensor b = OnnxTensor.createTensor(env, FloatBuffer.wrap(r), new long[] {tokens, e});
         OrtSession.Result res = s.run(Map.of("x", a, "r", b))) {
      FloatBuffer out = ((OnnxTensor) res.get(0)).getFloatBuffer();
      float[] y = new float[out.remaining()];
      out.get(y);
      return y;
    }
  }
}
