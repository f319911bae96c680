package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.export.onnx.io.OnnxModelReader;
import org.moellava.export.onnx.lint.TensorRtLint;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.ValueInfoProto;
import org.moellava.export.validate.Comparisons;
import org.moellava.export.validate.PromptBatch;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.Backend;
import org.moellava.runtime.Tensors;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;
import org.moellava.runtime.conformance.TensorDiff;

/**
 * A micro model exported as a standard fp32 package and run on ONNX Runtime CPU against the TF graphs: prefill
 * with B = 1 and 3, S = 1, 17 and 200, left padding, token-by-token decode through the KV cache.
 */
class PackageExportTest {
  static final double TOL = 1e-4;

  @TempDir static Path dir;
  static ModelConfig config;
  static Map<String, TensorValue> weights;
  static PackageExporter.Result result;

  @BeforeAll
  static void export() {
    config = PkgTestConfigs.micro();
    weights = TestCheckpoints.write(dir.resolve("ck"), config, 7);
    result = new PackageExporter(ExportOptions.defaults()).export(dir.resolve("ck"), dir.resolve("pkg"));
  }

  @Test
  void packageHasEveryFileAndAFullManifest() throws Exception {
    Path pkg = result.directory();
    for (String f : List.of("model.json", "vision.onnx", "embed.onnx", "decoder.onnx", "tokenizer.json",
        "conformance.json")) {
      assertTrue(Files.isRegularFile(pkg.resolve(f)), f);
    }
    PackageManifest m = PackageManifestIO.read(pkg);
    assertEquals(List.of(0, 2), m.moeLayers());
    assertEquals("standard", m.moeMode());
    assertEquals("fp32", m.precision());
    assertEquals(17, m.opset());
    assertEquals(4, m.numImageTokens());
    assertEquals("ck", m.modelId());
    assertEquals(Set.of("vision", "embed", "decoder", "tokenizer"), m.files().keySet());
    assertTrue(result.conformance().passed());
    assertTrue(Files.readString(pkg.resolve("conformance.json")).contains("\"passed\" : true"));
    assertEquals(0, Files.list(dir).filter(p -> p.getFileName().toString().startsWith(".")).count(),
        "no staging directory left");
  }

  @Test
  void decoderBoundaryHasTheGenAiNamesTypesAndAxes() {
    ModelProto d = OnnxModelReader.read(result.directory().resolve("decoder.onnx"));
    List<String> inputs = d.getGraph().getInputList().stream().map(ValueInfoProto::getName).toList();
    assertEquals(List.of("inputs_embeds", "attention_mask", "position_ids", "past_key_values.0.key",
        "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value", "past_key_values.2.key",
        "past_key_values.2.value"), inputs);
    List<String> outputs = d.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
    assertEquals(List.of("logits", "present.0.key", "present.0.value", "present.1.key", "present.1.value",
        "present.2.key", "present.2.value", "router_logits.0", "router_logits.2"), outputs);
    assertEquals(TensorProto.DataType.INT64_VALUE, type(d, 1));
    assertEquals(TensorProto.DataType.INT64_VALUE, type(d, 2));
    assertEquals("total_sequence", d.getGraph().getInput(1).getType().getTensorType().getShape().getDim(1)
        .getDimParam());
    assertEquals("past_sequence", d.getGraph().getInput(3).getType().getTensorType().getShape().getDim(2)
        .getDimParam());
    assertEquals("batch", d.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    assertEquals("sequence", d.getGraph().getInput(0).getType().getTensorType().getShape().getDim(1).getDimParam());
  }

  @Test
  void standardPackagePassesTheTensorRtLint() {
    for (String f : List.of("vision.onnx", "embed.onnx", "decoder.onnx")) {
      ModelProto m = OnnxModelReader.read(result.directory().resolve(f));
      assertTrue(TensorRtLint.check(m).isEmpty(), f + ": " + TensorRtLint.check(m));
    }
  }

  @Test
  void prefillMatchesTfForBatchesAndLengthsWithLeftPadding() {
    try (TfBackend tf = new TfBackend(config, weights, "ck");
         OrtBackend ort = OrtBackend.open(result.directory(), OrtOptions.cpu())) {
      for (int[] lengths : List.of(new int[] {1}, new int[] {17}, new int[] {200}, new int[] {17, 9, 5},
          new int[] {1, 1, 1}, new int[] {200, 150, 6})) {
        boolean image = lengths[0] > config.visionConfig().numPatches() + 1;
        int[] rows = lengths.clone();
        if (image) for (int i = 0; i < rows.length; i++) rows[i] = Math.max(rows[i], config.visionConfig().numPatches() + 1);
        prefill(tf, ort, rows, image);
      }
    }
  }

  private void prefill(Backend tf, Backend ort, int[] lengths, boolean image) {
    String what = java.util.Arrays.toString(lengths);
    PromptBatch prompt = PromptBatch.random(config, lengths, image, lengths.length * 1000L + lengths[0]);
    TensorValue features = pixelsFeatures(tf, ort, lengths.length);
    TensorValue tfEmbeds = Tensors.embed(tf, prompt.inputIds(), features);
    assertClose(what + " embeds", tfEmbeds, Tensors.embed(ort, prompt.inputIds(), features));
    var t = Tensors.decode(tf, tfEmbeds, prompt.attentionMask(), prompt.positionIds(),
        Tensors.KvCache.empty(tf.info(), lengths.length));
    var o = Tensors.decode(ort, tfEmbeds, prompt.attentionMask(), prompt.positionIds(),
        Tensors.KvCache.empty(ort.info(), lengths.length));
    assertClose(what + " logits", t.logits(), o.logits());
    for (int layer : t.routerLogits().keySet()) {
      assertClose(what + " router " + layer, t.routerLogits().get(layer), o.routerLogits().get(layer));
    }
    assertClose(what + " present key 2", t.present().keys().get(2), o.present().keys().get(2));
  }

  private TensorValue pixelsFeatures(Backend tf, Backend ort, int batch) {
    var v = config.visionConfig();
    float[] px = new float[batch * 3 * v.imageSize() * v.imageSize()];
    java.util.SplittableRandom r = new java.util.SplittableRandom(batch);
    for (int i = 0; i < px.length; i++) px[i] = (float) r.nextGaussian();
    TensorValue pixels = new TensorValue(new long[] {batch, 3, v.imageSize(), v.imageSize()}, px);
    TensorValue f = Tensors.imageFeatures(tf, pixels);
    assertClose("vision B=" + batch, f, Tensors.imageFeatures(ort, pixels));
    return f;
  }

  @Test
  void tokenByTokenDecodeWithTheKvCacheMatchesTfAndTheFullPass() {
    try (TfBackend tf = new TfBackend(config, weights, "ck");
         OrtBackend ort = OrtBackend.open(result.directory(), OrtOptions.cpu())) {
      int[] lengths = {12, 8};
      PromptBatch prompt = PromptBatch.random(config, lengths, true, 5);
      TensorValue features = pixelsFeatures(tf, ort, 2);
      TensorValue embeds = Tensors.embed(tf, prompt.inputIds(), features);
      var ortState = Tensors.decode(ort, embeds, prompt.attentionMask(), prompt.positionIds(),
          Tensors.KvCache.empty(ort.info(), 2));
      var tfState = Tensors.decode(tf, embeds, prompt.attentionMask(), prompt.positionIds(),
          Tensors.KvCache.empty(tf.info(), 2));
      int[] mask = prompt.attentionMask().data();
      int seq = 12;
      int[] pos = {11, 7};
      TensorValue zeros = new TensorValue(features.shape(), new float[features.data().length]);
      for (int step = 0; step < 6; step++) {
        int[] next = Comparisons.lastTokenArgmax(tfState.logits(), config.imageTokenIndex());
        assertEquals(java.util.Arrays.toString(next),
            java.util.Arrays.toString(Comparisons.lastTokenArgmax(ortState.logits(), config.imageTokenIndex())), "greedy step " + step);
        int total = seq + step + 1;
        int[] m2 = new int[2 * total];
        for (int b = 0; b < 2; b++) {
          System.arraycopy(mask, b * (total - 1), m2, b * total, total - 1);
          m2[b * total + total - 1] = 1;
        }
        mask = m2;
        pos = new int[] {pos[0] + 1, pos[1] + 1};
        TensorValue e = Tensors.embed(tf, IntTensorValue.matrix(2, 1, next), zeros);
        IntTensorValue mv = IntTensorValue.matrix(2, total, mask);
        IntTensorValue pv = IntTensorValue.matrix(2, 1, pos);
        tfState = Tensors.decode(tf, e, mv, pv, tfState.present());
        ortState = Tensors.decode(ort, e, mv, pv, ortState.present());
        assertClose("decode step " + step, tfState.logits(), ortState.logits());
        assertEquals(total, ortState.present().length());
      }
    }
  }

  @Test
  void anExistingOutputIsRefused() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(org.moellava.error.InvalidInputException.class,
        () -> new PackageExporter(ExportOptions.defaults()).export(dir.resolve("ck"), result.directory()));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  static void assertClose(String what, TensorValue expected, TensorValue actual) {
    double err = TensorDiff.of(actual, expected).maxRel();
    assertTrue(err <= TOL, what + ": relative error " + err);
  }

  private static int type(ModelProto m, int input) {
    return m.getGraph().getInput(input).getType().getTensorType().getElemType();
  }
}
