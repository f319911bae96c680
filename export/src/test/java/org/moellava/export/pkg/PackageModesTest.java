package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.onnx.io.OnnxModelReader;
import org.moellava.export.onnx.lint.LintViolation;
import org.moellava.export.onnx.lint.TensorRtLint;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.validate.PromptBatch;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.Tensors;
import org.moellava.runtime.conformance.TensorDiff;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.tensor.TensorValue;

/** The ort-fused and fp16 packages of one micro checkpoint against the standard fp32 one and TF. */
class PackageModesTest {
  @TempDir static Path dir;
  static ModelConfig config;
  static Map<String, TensorValue> weights;
  static Path standard;
  static Path fused;
  static Path half;
  static org.moellava.export.validate.ConformanceReport halfReport;

  @BeforeAll
  static void export() {
    config = PkgTestConfigs.micro();
    weights = TestCheckpoints.write(dir.resolve("ck"), config, 11);
    standard = new PackageExporter(ExportOptions.defaults()).export(dir.resolve("ck"), dir.resolve("std")).directory();
    fused = new PackageExporter(ExportOptions.defaults().withMoeMode(MoeMode.ORT_FUSED))
        .export(dir.resolve("ck"), dir.resolve("fused")).directory();
    PackageExporter.Result h = new PackageExporter(ExportOptions.defaults().withPrecision(Precision.FP16)
        .withOpset(18)).export(dir.resolve("ck"), dir.resolve("fp16"));
    half = h.directory();
    halfReport = h.conformance();
  }

  @Test
  void fusedDecoderHasOneComMicrosoftMoePerMoeLayerAndKeepsRouterLogits() {
    ModelProto d = OnnxModelReader.read(fused.resolve("decoder.onnx"));
    List<NodeProto> moe = d.getGraph().getNodeList().stream()
        .filter(n -> n.getDomain().equals("com.microsoft") && n.getOpType().equals("MoE")).toList();
    assertEquals(2, moe.size());
    assertTrue(d.getGraph().getNodeList().stream().noneMatch(n -> n.getOpType().equals("NonZero")),
        "the sparse dispatch is gone");
    assertTrue(d.getGraph().getOutputList().stream().anyMatch(o -> o.getName().equals("router_logits.2")));
    assertEquals("ort-fused", PackageManifestIO.read(fused).moeMode());
  }

  @Test
  void fusedEqualsStandardOnOrtCpu() {
    try (OrtBackend s = OrtBackend.open(standard, OrtOptions.cpu());
         OrtBackend f = OrtBackend.open(fused, OrtOptions.cpu());
         TfBackend tf = new TfBackend(config, weights, "ck")) {
      for (int[] lengths : List.of(new int[] {1}, new int[] {17, 9, 5}, new int[] {200})) {
        PromptBatch p = PromptBatch.random(config, lengths, false, 99 + lengths.length);
        TensorValue embeds = Tensors.embed(tf, p.inputIds(), new TensorValue(
            new long[] {lengths.length, config.visionConfig().numPatches(), config.textConfig().hiddenSize()},
            new float[lengths.length * config.visionConfig().numPatches() * config.textConfig().hiddenSize()]));
        var a = Tensors.decode(s, embeds, p.attentionMask(), p.positionIds(),
            Tensors.KvCache.empty(s.info(), lengths.length));
        var b = Tensors.decode(f, embeds, p.attentionMask(), p.positionIds(),
            Tensors.KvCache.empty(f.info(), lengths.length));
        double err = TensorDiff.of(b.logits(), a.logits()).maxRel();
        assertTrue(err <= 1e-4, "fused vs standard logits " + err);
        assertEquals(a.routerLogits().keySet(), b.routerLogits().keySet());
      }
    }
  }

  @Test
  void fp16StaysWithinOnePercentAndRoutesAlikeExceptNearTies() {
    ModelProto d = OnnxModelReader.read(half.resolve("decoder.onnx"));
    long halfWeights = d.getGraph().getInitializerList().stream()
        .filter(t -> t.getDataType() == TensorProto.DataType.FLOAT16_VALUE).count();
    assertTrue(halfWeights > 10, "weights stored in fp16: " + halfWeights);
    for (int layer : List.of(0, 2)) {
      String router = org.moellava.graph.variables.VariableNames.routerKernel(layer);
      assertTrue(d.getGraph().getInitializerList().stream().anyMatch(t -> t.getName().equals(router)
          && t.getDataType() == TensorProto.DataType.FLOAT_VALUE), router + " stays fp32");
    }
    try (OrtBackend h = OrtBackend.open(half, OrtOptions.cpu());
         TfBackend tf = new TfBackend(config, weights, "ck")) {
      TensorValue pixels = new TensorValue(new long[] {2, 3, 8, 8}, gaussian(2 * 3 * 64));
      double err = TensorDiff.of(Tensors.imageFeatures(h, pixels), Tensors.imageFeatures(tf, pixels)).maxRel();
      assertTrue(err <= 1e-2, "fp16 vision features " + err);
      assertTrue(err > 1e-7, "fp16 really computes in half precision: " + err);
    }
    // logits, router logits and routing of prefill and greedy decode (positions after an allowed near-tie flip are
    // left out), as compared at export
    assertTrue(halfReport.passed());
    assertEquals(1e-2, halfReport.tolerance());
    var logits = halfReport.checks().stream().filter(c -> c.name().endsWith("/logits")).toList();
    assertEquals(1 + org.moellava.export.validate.ConformanceCheck.DECODE_STEPS, logits.size());
    logits.forEach(c -> assertTrue(c.relativeError() <= 1e-2 && c.relativeError() > 1e-7, c.toString()));
    assertTrue(halfReport.checks().stream().filter(c -> c.name().contains("/routing."))
        .allMatch(c -> c.routingMismatches() == 0 && c.tokens() > 0));
    assertEquals("fp16", PackageManifestIO.read(half).precision());
    assertEquals(18, PackageManifestIO.read(half).opset());
  }

  @Test
  void lintPassesTheStandardPackageAndFlagsTheFusedOne() {
    assertTrue(TensorRtLint.check(OnnxModelReader.read(standard.resolve("decoder.onnx"))).isEmpty());
    List<LintViolation> v = TensorRtLint.check(OnnxModelReader.read(fused.resolve("decoder.onnx")));
    assertFalse(v.isEmpty());
    assertTrue(v.stream().anyMatch(x -> x.toString().contains("com.microsoft")), v.toString());
  }

  @Test
  void fusedPackageIsSmallerThanTwoCopiesOfTheExperts() {
    long s = PackageExporter.sizeOf(standard);
    long f = PackageExporter.sizeOf(fused);
    assertTrue(f < s * 1.2, "fused " + f + " vs standard " + s + ": unused expert weights must not stay");
  }

  private static float[] gaussian(int n) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(4);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
    return x;
  }
}
