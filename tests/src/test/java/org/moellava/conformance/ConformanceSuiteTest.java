package org.moellava.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.onnx.io.OnnxModelReader;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.VariableNames;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.image.ImagePreprocessor;
import org.moellava.io.AtomicFiles;
import org.moellava.runtime.TensorRtProbe;
import org.moellava.runtime.conformance.Tolerance;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.runtime.trt.TrtBackend;

/**
 * The conformance suite on {@code tiny} with random weights: TensorFlow vs ONNX Runtime (standard and fused MoE),
 * a corrupted expert that must be named, an fp16-rounded router that shows near-tie flips, and exact router ties
 * that every backend must break toward the lower expert index.
 */
class ConformanceSuiteTest {
  private static final ModelConfig CONFIG = Presets.get(Presets.TINY);
  private static final int DECODE_STEPS = 3;

  @TempDir static Path dir;
  private static Path checkpoint;
  private static Path standard;
  private static Path fused;

  @BeforeAll
  static void exportPackages() {
    checkpoint = writeCheckpoint("random", WeightInitializer.randomWeights(CONFIG, 11));
    standard = export(checkpoint, "standard", MoeMode.STANDARD);
    fused = export(checkpoint, "fused", MoeMode.ORT_FUSED);
  }

  @Test
  void tensorflowAndOnnxRuntimeAgreeStandardAndFused() {
    ConformanceReport report = run(checkpoint, List.of(
        new ConformanceSuite.Candidate("ort-cpu", () -> OrtBackend.open(standard, OrtOptions.cpu())),
        new ConformanceSuite.Candidate("ort-fused", () -> OrtBackend.open(fused, OrtOptions.cpu())),
        new ConformanceSuite.Candidate("trt", () -> TrtBackend.open(standard))), Tolerance.FP32);
    assertTrue(report.passed(), report.table());
    PairReport ort = report.pairs().get(0);
    PairReport ortFused = report.pairs().get(1);
    assertEquals("passed", ort.status(), ort.reason());
    assertEquals("passed", ortFused.status(), ortFused.reason());
    assertTrue(ort.logits().elements() > 0 && ort.routerLogits().size() == 2, "logits and both MoE layers compared");
    assertTrue(ort.greedyEqual());
    PairReport trt = report.pairs().get(2);
    if (TensorRtProbe.availability().available()) {
      assertEquals("passed", trt.status(), trt.reason());
    } else {
      assertEquals("skipped", trt.status(), "an unavailable backend is skipped, never passed");
      assertTrue(trt.reason().contains(TensorRtProbe.availability().reason()), trt.reason());
    }
    assertTrue(report.table().contains("skipped") || TensorRtProbe.availability().available(), report.table());
    // batch invariance: tf, ort-cpu and ort-fused, batched and deterministic (trt is skipped here)
    List<String> checked = report.batchInvariance().stream()
        .map(r -> r.backend() + (r.deterministic() ? "/deterministic" : "/batched")).toList();
    assertTrue(checked.containsAll(List.of("tf/batched", "tf/deterministic", "ort-cpu/batched",
        "ort-cpu/deterministic", "ort-fused/batched", "ort-fused/deterministic")), checked.toString());
    for (BatchInvariance.Result r : report.batchInvariance()) {
      if (r.deterministic()) {
        assertTrue(r.identical() && r.largestBatch() == 1, r.toString());
      } else {
        assertTrue(r.largestBatch() > 1, "the requests ran batched: " + r);
      }
    }
    System.out.println(report.table());
  }

  @Test
  void corruptedExpertFailsAndIsNamed() {
    Path corrupted = copyPackage(standard, "corrupted");
    int perExpert = 256 * 128; // down_proj [E=4, I=256, D=128]
    editInitializer(corrupted, VariableNames.expertsDown(2), values -> {
      for (int i = 3 * perExpert; i < 4 * perExpert; i++) values[i] += 0.05f;
      return values;
    });
    ConformanceReport report = run(checkpoint, List.of(
        new ConformanceSuite.Candidate("ort-cpu", () -> OrtBackend.open(corrupted, OrtOptions.cpu()))), Tolerance.FP32);
    PairReport pair = report.pairs().get(0);
    assertEquals("failed", pair.status());
    assertEquals(1, report.exitCode());
    assertTrue(pair.diagnosis().startsWith("layer 2 expert 3"), pair.diagnosis());
  }

  @Test
  void fp16RouterShowsNearTieFlips() {
    // Experts 0 and 1 score within ~1e-4 of each other, so rounding the router to fp16 reorders them on many tokens.
    Map<String, TensorValue> weights = new HashMap<>(WeightInitializer.randomWeights(CONFIG, 12));
    for (int layer : CONFIG.textConfig().moeLayerIndices()) {
      TensorValue router = weights.get(VariableNames.routerKernel(layer)); // [D, E]
      float[] w = router.data().clone();
      int e = CONFIG.textConfig().numExperts();
      for (int d = 0; d < w.length / e; d++) w[d * e + 1] = w[d * e] * 1.0003f;
      weights.put(VariableNames.routerKernel(layer), new TensorValue(router.shape(), w));
    }
    Path nearTies = writeCheckpoint("near-ties", weights);
    Path pkg = copyPackage(export(nearTies, "near-ties-pkg", MoeMode.STANDARD), "fp16-router");
    for (int layer : CONFIG.textConfig().moeLayerIndices()) {
      editInitializer(pkg, VariableNames.routerKernel(layer), ConformanceSuiteTest::roundToHalf);
    }
    ConformanceReport report = run(nearTies, List.of(
        new ConformanceSuite.Candidate("ort-fp16-router", () -> OrtBackend.open(pkg, OrtOptions.cpu()))),
        Tolerance.FP16);
    PairReport pair = report.pairs().get(0);
    assertTrue(pair.nearTieFlips() > 0, report.table());
    assertEquals(0, pair.hardFlips(), report.table());
    assertTrue(report.table().contains("near-tie"), report.table());
  }

  @Test
  void exactRouterTiesAreCheckedOnEveryBackend() {
    // An all-zero router scores every expert the same, and the rule is that ties go to the lower index: experts
    // 0 and 1. The experts differ, so a backend that picks others changes the outputs; TensorFlow's tie-breaking
    // is pinned by MoeBlockTest. The standard export (TopK) follows the rule. ONNX Runtime 1.29's fused
    // com.microsoft.MoE does not, and the suite must report that: its package is the fused export of the same
    // weights with the router zeroed in place (the exporter itself refuses to publish it, validation fails).
    Map<String, TensorValue> weights = new HashMap<>(WeightInitializer.randomWeights(CONFIG, 11));
    for (int layer : CONFIG.textConfig().moeLayerIndices()) {
      TensorValue router = weights.get(VariableNames.routerKernel(layer));
      weights.put(VariableNames.routerKernel(layer), new TensorValue(router.shape(), new float[router.data().length]));
    }
    Path ties = writeCheckpoint("ties", weights);
    Path tiesStandard = export(ties, "ties-standard", MoeMode.STANDARD);
    Path tiesFused = copyPackage(fused, "ties-fused");
    for (int layer : CONFIG.textConfig().moeLayerIndices()) {
      editInitializer(tiesFused, VariableNames.routerKernel(layer), values -> new float[values.length]);
    }
    ConformanceReport report = run(ties, List.of(
        new ConformanceSuite.Candidate("ort-cpu", () -> OrtBackend.open(tiesStandard, OrtOptions.cpu())),
        new ConformanceSuite.Candidate("ort-fused", () -> OrtBackend.open(tiesFused, OrtOptions.cpu()))),
        Tolerance.FP32);
    PairReport standardPair = report.pairs().get(0);
    assertEquals("passed", standardPair.status(), report.table());
    assertEquals(100.0, standardPair.routingAgreement(), 1e-9);
    PairReport fusedPair = report.pairs().get(1);
    assertEquals("failed", fusedPair.status(), report.table());
    assertTrue(fusedPair.reason().contains("logits off by"), fusedPair.reason());
  }

  private static ConformanceReport run(Path ckpt, List<ConformanceSuite.Candidate> candidates, Tolerance tolerance) {
    try (TfBackend reference = TfBackend.fromCheckpoint(ckpt)) {
      List<ConformanceCase> cases = new CaseGenerator(reference.info(), ImagePreprocessor.fromConfig(CONFIG), 99)
          .standard(DECODE_STEPS);
      return ConformanceSuite.run("tf", reference, candidates, cases, tolerance);
    }
  }

  private static Path writeCheckpoint(String name, Map<String, TensorValue> weights) {
    return new CheckpointWriter().write(dir.resolve(name), CONFIG, null, weights, TrainingState.imported(1));
  }

  private static Path export(Path ckpt, String name, MoeMode mode) {
    return new PackageExporter(ExportOptions.defaults().withMoeMode(mode)).export(ckpt, dir.resolve(name)).directory();
  }

  private static Path copyPackage(Path pkg, String name) {
    Path copy = dir.resolve(name);
    try (var files = Files.list(pkg)) {
      Files.createDirectories(copy);
      for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return copy;
  }

  /**
   * Rewrites one float initializer of {@code decoder.onnx} and re-records the package's hashes, as a tool that edits
   * a package on purpose must (an unrecorded change is refused at load).
   */
  private static void editInitializer(Path pkg, String name, UnaryOperator<float[]> edit) {
    Path file = pkg.resolve("decoder.onnx");
    ModelProto model = OnnxModelReader.read(file);
    ModelProto.Builder b = model.toBuilder();
    boolean found = false;
    for (int i = 0; i < b.getGraph().getInitializerCount(); i++) {
      TensorProto t = b.getGraph().getInitializer(i);
      if (!t.getName().equals(name)) continue;
      ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      float[] values = new float[raw.remaining() / 4];
      raw.asFloatBuffer().get(values);
      float[] edited = edit.apply(values);
      ByteBuffer out = ByteBuffer.allocate(edited.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      out.asFloatBuffer().put(edited);
      b.getGraphBuilder().setInitializer(i, t.toBuilder().setRawData(ByteString.copyFrom(out.array())));
      found = true;
    }
    assertTrue(found, "decoder.onnx has no initializer " + name);
    AtomicFiles.deleteRecursively(file);
    new OnnxModelWriter().write(b.build(), file);
    PackageManifestIO.write(PackageManifestIO.read(pkg, PackageManifestIO.Integrity.SKIP), pkg);
  }

  /** Rounds each value to the nearest fp16 (10-bit mantissa), as an fp16 router would hold it. */
  private static float[] roundToHalf(float[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      int bits = Float.floatToRawIntBits(values[i]);
      int rounded = (bits + 0x1000) & 0xFFFFE000; // keep 10 of 23 mantissa bits, round half up
      out[i] = Float.intBitsToFloat(rounded);
    }
    return out;
  }
}
