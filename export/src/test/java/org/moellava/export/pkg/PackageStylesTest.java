package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.moellava.config.DecoderStyle;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.onnx.io.OnnxModelWriter;
import org.moellava.export.validate.Comparisons;
import org.moellava.export.validate.PromptBatch;
import org.moellava.runtime.Tensors;
import org.moellava.runtime.conformance.TensorDiff;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;

/**
 * A micro model of every decoder family (StableLM: LayerNorm and partial rotary; Phi-2: parallel layer, gelu_new
 * fc experts with biases, lm_head bias; Qwen-1) exported as a standard fp32 package and run on ONNX Runtime CPU
 * against the TF graphs: the export's own validation, a left-padded prefill with an image (B = 3) and 5 greedy
 * decode steps through the KV cache, 1e-4 relative.
 */
class PackageStylesTest {
  static final double TOL = 1e-4;

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(value = DecoderStyle.class, names = {"STABLELM", "PHI", "QWEN"})
  void exportedPackageMatchesTensorFlowOnOnnxRuntime(DecoderStyle style) {
    ModelConfig config = PkgTestConfigs.micro(style);
    Map<String, TensorValue> weights = TestCheckpoints.writePerturbed(dir.resolve("ck"), config, 13);
    PackageExporter.Result result = new PackageExporter(ExportOptions.defaults())
        .export(dir.resolve("ck"), dir.resolve("pkg"));
    assertTrue(result.conformance().passed(), style + ": export validation");
    assertTrue(result.conformance().checks().size() > 10, "checks: " + result.conformance().checks().size());

    try (TfBackend tf = new TfBackend(config, weights, "ck");
         OrtBackend ort = OrtBackend.open(result.directory(), OrtOptions.cpu())) {
      int[] lengths = {12, 8, 6};
      int b = lengths.length;
      PromptBatch prompt = PromptBatch.random(config, lengths, true, 5);
      var v = config.visionConfig();
      float[] px = new float[b * 3 * v.imageSize() * v.imageSize()];
      java.util.SplittableRandom r = new java.util.SplittableRandom(b);
      for (int i = 0; i < px.length; i++) px[i] = (float) r.nextGaussian();
      TensorValue pixels = new TensorValue(new long[] {b, 3, v.imageSize(), v.imageSize()}, px);
      TensorValue features = Tensors.imageFeatures(tf, pixels);
      assertClose(style + " image features", features, Tensors.imageFeatures(ort, pixels));
      TensorValue embeds = Tensors.embed(tf, prompt.inputIds(), features);
      assertClose(style + " embeds", embeds, Tensors.embed(ort, prompt.inputIds(), features));
      var tfState = Tensors.decode(tf, embeds, prompt.attentionMask(), prompt.positionIds(),
          Tensors.KvCache.empty(tf.info(), b));
      var ortState = Tensors.decode(ort, embeds, prompt.attentionMask(), prompt.positionIds(),
          Tensors.KvCache.empty(ort.info(), b));
      assertClose(style + " prefill logits", tfState.logits(), ortState.logits());
      for (int layer : config.textConfig().moeLayerIndices()) {
        assertClose(style + " router " + layer, tfState.routerLogits().get(layer), ortState.routerLogits().get(layer));
      }
      int[] mask = prompt.attentionMask().data();
      int seq = 12;
      int[] pos = new int[b];
      for (int row = 0; row < b; row++) pos[row] = lengths[row] - 1;
      TensorValue zeros = new TensorValue(features.shape(), new float[features.data().length]);
      for (int step = 0; step < 5; step++) {
        int[] next = Comparisons.lastTokenArgmax(tfState.logits(), config.imageTokenIndex());
        assertEquals(Arrays.toString(next),
            Arrays.toString(Comparisons.lastTokenArgmax(ortState.logits(), config.imageTokenIndex())),
            style + " greedy step " + step);
        int total = seq + step + 1;
        int[] m2 = new int[b * total];
        for (int row = 0; row < b; row++) {
          System.arraycopy(mask, row * (total - 1), m2, row * total, total - 1);
          m2[row * total + total - 1] = 1;
        }
        mask = m2;
        for (int row = 0; row < b; row++) pos[row]++;
        TensorValue e = Tensors.embed(tf, IntTensorValue.matrix(b, 1, next), zeros);
        IntTensorValue mv = IntTensorValue.matrix(b, total, mask);
        IntTensorValue pv = IntTensorValue.matrix(b, 1, pos.clone());
        tfState = Tensors.decode(tf, e, mv, pv, tfState.present());
        ortState = Tensors.decode(ort, e, mv, pv, ortState.present());
        assertClose(style + " decode step " + step, tfState.logits(), ortState.logits());
      }
    }
  }

  @Test
  void fusedMoeExportOfStableLmMatchesAndPhiIsRefusedByName() throws Exception {
    ModelConfig stablelm = PkgTestConfigs.micro(DecoderStyle.STABLELM);
    TestCheckpoints.writePerturbed(dir.resolve("s"), stablelm, 3);
    ExportOptions fused = new ExportOptions(17, Precision.FP32, MoeMode.ORT_FUSED, null,
        OnnxModelWriter.DEFAULT_EXTERNAL_THRESHOLD);
    assertTrue(new PackageExporter(fused).export(dir.resolve("s"), dir.resolve("s-pkg")).conformance().passed());

    ModelConfig phi = PkgTestConfigs.micro(DecoderStyle.PHI);
    TestCheckpoints.writePerturbed(dir.resolve("p"), phi, 3);
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> new PackageExporter(fused).export(dir.resolve("p"), dir.resolve("p-pkg")));
    assertTrue(e.getMessage().contains("--moe ort-fused") && e.getMessage().contains("\"phi\"")
        && e.getMessage().contains("--moe standard"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertFalse(Files.exists(dir.resolve("p-pkg")));
    assertEquals(List.of(), Files.list(dir).filter(p -> p.getFileName().toString().startsWith(".")).toList());
  }

  static void assertClose(String what, TensorValue expected, TensorValue actual) {
    double err = TensorDiff.of(actual, expected).maxRel();
    assertTrue(err <= TOL, what + ": relative error " + err);
  }
}
