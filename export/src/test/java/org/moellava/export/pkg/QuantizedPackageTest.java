package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.onnx.io.OnnxModelReader;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.quant.QuantScheme;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.export.validate.QuantizedConformanceCheck;
import org.moellava.graph.variables.VariableNames;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.pkg.PackageQuantization;
import org.moellava.runtime.conformance.QuantizedTolerance;
import org.moellava.runtime.conformance.QuantizedVerdict;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.tensor.TensorValue;

/**
 * int8 and int4 packages of one micro checkpoint ({@link PkgTestConfigs#quantMicro}, random weights): what is
 * quantized and what stays fp32, the sparse dispatch kept, the fused QMoE form, validation at export, and greedy
 * agreement with the fp32 package on a fixed prompt set.
 */
class QuantizedPackageTest {
  @TempDir static Path dir;
  static ModelConfig config;
  static Map<String, TensorValue> weights;
  static Path fp32;
  static PackageExporter.Result int8;
  static PackageExporter.Result int4;
  static PackageExporter.Result fused;

  @BeforeAll
  static void export() {
    config = PkgTestConfigs.quantMicro();
    weights = TestCheckpoints.write(dir.resolve("ck"), config, 5);
    fp32 = new PackageExporter(ExportOptions.defaults()).export(dir.resolve("ck"), dir.resolve("fp32")).directory();
    int8 = quantized("int8", 32, true, 0, MoeMode.STANDARD);
    int4 = quantized("int4", 32, true, 0, MoeMode.STANDARD);
    fused = quantized("int4", 64, false, 4, MoeMode.ORT_FUSED);
  }

  static PackageExporter.Result quantized(String scheme, int block, boolean sym, int level, MoeMode mode) {
    QuantScheme s = QuantScheme.parse(scheme, block, sym, level);
    return new PackageExporter(ExportOptions.defaults().withMoeMode(mode).withQuantize(new QuantizeOptions(s, false)))
        .export(dir.resolve("ck"), dir.resolve(s.id() + "-" + mode.id()));
  }

  @Test
  void manifestRecordsTheSchemePerTensorAndRoutersNormsEmbeddingsAndOuterVisionLayersStayFp32() {
    PackageQuantization q = PackageManifestIO.read(int4.directory()).quantization();
    assertEquals("int4", q.scheme());
    assertEquals(4, q.bits());
    assertEquals(32, q.blockSize());
    assertTrue(q.symmetric());
    for (String t : List.of(VariableNames.decoderLayer(0) + "/self_attn/q_proj/kernel",
        VariableNames.decoderLayer(2) + "/self_attn/o_proj/kernel", VariableNames.denseGate(1),
        VariableNames.denseDown(1), VariableNames.expertsGate(0), VariableNames.expertsDown(2),
        VariableNames.PROJECTOR_LINEAR_1 + "/kernel", VariableNames.PROJECTOR_LINEAR_2 + "/kernel",
        VariableNames.LM_HEAD_KERNEL, VariableNames.visionLayer(1) + "/mlp/fc1/kernel",
        VariableNames.visionLayer(1) + "/self_attn/out_proj/kernel")) {
      assertEquals("int4-b32-sym", q.tensors().get(t), t);
    }
    for (String t : List.of(VariableNames.routerKernel(0), VariableNames.EMBED_TOKENS,
        VariableNames.visionLayer(0) + "/mlp/fc1/kernel", VariableNames.visionLayer(2) + "/self_attn/q_proj/kernel",
        VariableNames.PATCH_EMBEDDING_KERNEL)) {
      assertFalse(q.tensors().containsKey(t), t + " stays fp32");
    }
    // 3 layers x 4 attention + dense layer 1 x 3 + 2 MoE layers x 3 stacked experts + projector 2 + lm_head
    // + vision layer 1 x 6
    assertEquals(12 + 3 + 6 + 2 + 1 + 6, q.tensors().size(), q.tensors().keySet().toString());
    assertNull(PackageManifestIO.read(fp32).quantization());
    assertEquals("fp32", PackageManifestIO.read(int4.directory()).precision());
  }

  @Test
  void fp32ManifestsDoNotMentionQuantization() throws Exception {
    assertFalse(Files.readString(fp32.resolve(PackageManifest.FILE_NAME)).contains("quantization"));
    assertTrue(Files.readString(int8.directory().resolve(PackageManifest.FILE_NAME)).contains("\"int8-b32-sym\""));
  }

  @Test
  void denseLinearsAreMatMulNBitsAndEachExpertKeepsItsOwnMatMulNBitsInTheSparseDispatch() {
    ModelProto d = OnnxModelReader.read(int4.directory().resolve("decoder.onnx"));
    List<NodeProto> nbits = ops(d, "com.microsoft", "MatMulNBits");
    // 12 attention + 3 dense FFN + 2 MoE layers x 4 experts x 3 + lm_head
    assertEquals(12 + 3 + 24 + 1, nbits.size());
    assertTrue(nbits.stream().allMatch(n -> attr(n, "bits") == 4 && attr(n, "block_size") == 32
        && attr(n, "accuracy_level") == 0));
    assertFalse(ops(d, "", "NonZero").isEmpty(), "the sparse dispatch (NonZero per expert) is kept");
    for (int layer : List.of(0, 2)) {
      String router = VariableNames.routerKernel(layer);
      assertTrue(ops(d, "", "MatMul").stream().anyMatch(n -> n.getInput(1).equals(router)), router);
      assertEquals(TensorProto.DataType.FLOAT_VALUE, initializer(d, router).getDataType(), router + " fp32");
    }
    assertEquals(List.of(), d.getGraph().getInitializerList().stream().filter(t -> t.getName().contains("/mlp/experts/")
        && t.getDataType() == TensorProto.DataType.FLOAT_VALUE && !t.getName().endsWith("/scales"))
        .map(TensorProto::getName).toList(), "no fp32 expert weights left");
    assertTrue(d.getGraph().getInitializerList().stream().noneMatch(t -> t.getName().equals(
        VariableNames.LM_HEAD_KERNEL)), "no fp32 lm_head left");
    ModelProto v = OnnxModelReader.read(int4.directory().resolve("vision.onnx"));
    assertEquals(2 + 6, ops(v, "com.microsoft", "MatMulNBits").size(), "projector and vision layer 1");
  }

  @Test
  void fusedPackagesUseQMoEWithBlockwiseExperts() {
    ModelProto d = OnnxModelReader.read(fused.directory().resolve("decoder.onnx"));
    List<NodeProto> qmoe = ops(d, "com.microsoft", "QMoE");
    assertEquals(2, qmoe.size());
    assertTrue(ops(d, "com.microsoft", "MoE").isEmpty());
    assertTrue(qmoe.stream().allMatch(n -> attr(n, "expert_weight_bits") == 4 && attr(n, "block_size") == 64
        && n.getInputCount() == 13), "zero points of fc1 and fc2 are inputs 11 and 12");
    assertTrue(ops(d, "com.microsoft", "MatMulNBits").stream().allMatch(n -> attr(n, "accuracy_level") == 4));
    PackageManifest m = PackageManifestIO.read(fused.directory());
    assertEquals("ort-fused", m.moeMode());
    assertEquals("int4-b64-asym", m.quantization().tensors().get(VariableNames.expertsUp(2)));
    assertFalse(m.quantization().symmetric());
  }

  @Test
  void validationAtExportWritesTheQuantizedVerdictIntoConformanceJson() throws Exception {
    for (PackageExporter.Result r : List.of(int8, int4, fused)) {
      QuantizedVerdict q = r.conformance().quantized();
      assertNotNull(q);
      assertTrue(q.passed(), q.failures().toString());
      assertTrue(q.positions() > 50 && q.routedTokens() > 100, q.toString());
      String json = Files.readString(r.directory().resolve(PackageExporter.CONFORMANCE_FILE));
      assertTrue(json.contains("\"quantized\"") && json.contains("\"min_logits_cosine\"")
          && json.contains("\"routing_near_ties\""), json);
    }
    // int8 is far closer to fp32 than int4
    assertTrue(int8.conformance().quantized().minLogitsCosine() > int4.conformance().quantized().minLogitsCosine());
  }

  /**
   * Greedy output of the quantized package against the fp32 package on ONNX Runtime: 16 fixed prompts with images
   * (seed 77), 8 greedy tokens each, each package decoding from its own tokens. Floors, set below what this model
   * measured (random weights, seed 5): int8 keeps the whole greedy output of at least 14 of the 16 prompts (measured
   * 15; the other kept 4 tokens) and routes at least 97 % of the token x layer decisions alike, near ties counted as
   * alike (measured 100 %: 745 same, 7 near ties). int4 does not keep most outputs on a random-weight model, whose
   * logits are nearly flat, so a ~8 % weight error often overturns the top token: it keeps at least 2 whole outputs
   * (measured 3), a mean greedy prefix of at least 2 tokens (measured 2.75), top-1 agreement at least 65 % (measured
   * 73 %) and routing agreement at least 85 % (measured 90 %: 643 same, 33 near ties, 76 flips).
   */
  @Test
  void greedyOutputEqualsFp32OnMostOfAFixedPromptSetAndRoutingAgreesAboveAFloor() {
    QuantizedTolerance measure = new QuantizedTolerance(-1, 0, 0, 0, 0.02);
    try (OrtBackend ref = OrtBackend.open(fp32, OrtOptions.cpu());
         OrtBackend q8 = OrtBackend.open(int8.directory(), OrtOptions.cpu());
         OrtBackend q4 = OrtBackend.open(int4.directory(), OrtOptions.cpu())) {
      QuantizedVerdict v8 = new QuantizedConformanceCheck(config, measure, 16, 77).run(ref, q8, "fp32", "standard")
          .quantized();
      QuantizedVerdict v4 = new QuantizedConformanceCheck(config, measure, 16, 77).run(ref, q4, "fp32", "standard")
          .quantized();
      System.out.println("QUANT micro greedy int8 " + v8);
      System.out.println("QUANT micro greedy int4 " + v4);
      assertTrue(v8.greedyRowsEqual() >= 14, "int8 greedy rows equal: " + v8.greedyPrefixes());
      assertTrue(v8.routingAgreement() >= 0.97, "int8 routing " + v8.routingAgreement());
      assertTrue(v4.greedyRowsEqual() >= 2, "int4 greedy rows equal: " + v4.greedyPrefixes());
      assertTrue(v4.meanGreedyPrefix() >= 2.0, "int4 greedy prefixes: " + v4.greedyPrefixes());
      assertTrue(v4.top1Agreement() >= 0.65, "int4 top-1 " + v4.top1Agreement());
      assertTrue(v4.routingAgreement() >= 0.85, "int4 routing " + v4.routingAgreement());
    }
  }

  static List<NodeProto> ops(ModelProto m, String domain, String op) {
    return m.getGraph().getNodeList().stream().filter(n -> n.getDomain().equals(domain) && n.getOpType().equals(op))
        .toList();
  }

  static long attr(NodeProto n, String name) {
    return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst().orElseThrow().getI();
  }

  static TensorProto initializer(ModelProto m, String name) {
    return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
  }
}
