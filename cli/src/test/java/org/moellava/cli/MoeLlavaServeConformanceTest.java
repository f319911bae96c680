package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.conformance.CaseGenerator;
import org.moellava.conformance.ConformanceCase;
import org.moellava.conformance.ConformanceReport;
import org.moellava.conformance.ConformanceSuite;
import org.moellava.conformance.PairReport;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.image.ImagePreprocessor;
import org.moellava.image.RgbImage;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.conformance.Tolerance;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.serve.load.ServingModel;
import org.moellava.serve.load.ServingModels;
import org.moellava.serve.prompt.ChatMessage;
import org.moellava.serve.prompt.ChatTemplate;

/**
 * Serving and the conformance suite on the published MoE-LLaVA families: each fixture imported
 * ({@code import moellava}), exported to a package (standard MoE), the conformance suite TensorFlow (checkpoint) vs
 * ONNX Runtime (package) must pass at fp32 tolerance with both MoE layers compared, and greedy generation through
 * serve's {@link GenerationEngine} on the package (opened as the server opens it, with the converted tokenizer and
 * the chat template) gives the same tokens as on the checkpoint with TensorFlow.
 */
class MoeLlavaServeConformanceTest {
  private static final int DECODE_STEPS = 4;
  private static final int GREEDY_TOKENS = 6;

  @ParameterizedTest
  @ValueSource(strings = {"stablelm", "phi", "qwen", "phi-siglip"})
  void conformancePassesAndServedGreedyTokensMatchTensorFlow(String family, @TempDir Path dir) throws Exception {
    Path ckpt = MoeLlavaForwardTest.importFixture(family, dir);
    Path pkg = new PackageExporter(ExportOptions.defaults().withMoeMode(MoeMode.STANDARD))
        .export(ckpt, dir.resolve("pkg")).directory();
    PackageManifest manifest = PackageManifestIO.read(pkg);

    ConformanceReport report;
    try (TfBackend reference = TfBackend.fromCheckpoint(ckpt)) {
      List<ConformanceCase> cases = new CaseGenerator(reference.info(),
          ImagePreprocessor.fromConfig(manifest.config()), 1234).standard(DECODE_STEPS);
      report = ConformanceSuite.run("tf", reference, List.of(
          new ConformanceSuite.Candidate("ort-cpu", () -> OrtBackend.open(pkg, OrtOptions.cpu()))), cases,
          Tolerance.FP32);
    }
    System.out.println(family + ":\n" + report.table());
    assertTrue(report.passed(), family + ":\n" + report.table());
    PairReport ort = report.pairs().get(0);
    assertEquals("passed", ort.status(), ort.reason());
    assertEquals(2, ort.routerLogits().size(), "both MoE layers compared");
    assertTrue(ort.logits().elements() > 0 && ort.greedyEqual(), report.table());
    assertEquals(0, ort.hardFlips(), report.table());

    List<int[]> tf = generate(new ServingModels.Request(null, ckpt, null, OrtOptions.cpu(), false));
    List<int[]> served = generate(new ServingModels.Request(pkg, null, null, OrtOptions.cpu(), false));
    for (int i = 0; i < tf.size(); i++) {
      assertTrue(tf.get(i).length > 0, family + " request " + i + ": no tokens");
      assertArrayEquals(tf.get(i), served.get(i), family + " request " + i + ": greedy tokens, ORT (served) vs TF");
    }
    System.out.printf("%s: served greedy tokens equal TF: %s%n", family,
        tf.stream().map(java.util.Arrays::toString).toList());
  }

  /** Two chat requests (with and without an image) submitted together, greedy. */
  private static List<int[]> generate(ServingModels.Request request) throws Exception {
    try (ServingModel m = ServingModels.open(request);
        GenerationEngine engine = new GenerationEngine(m.backend(), m.decoder(), new EngineConfig(4, 8),
            new EngineObserver() {})) {
      ModelInfo info = m.backend().info();
      ChatTemplate template = new ChatTemplate(m.tokenizer(), info, m.systemPrompt());
      float[] pixels = m.preprocessor().preprocess(image(info.imageSize()));
      int[] withImage = template.build(List.of(new ChatMessage("user", "What is in the picture?", true)));
      int[] textOnly = template.build(List.of(new ChatMessage("user", "Tell me a short story.", false)));
      List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
      futures.add(engine.generate(new GenerationRequest("img", withImage, pixels, SamplingParams.greedy(GREEDY_TOKENS))));
      futures.add(engine.generate(new GenerationRequest("txt", textOnly, null, SamplingParams.greedy(GREEDY_TOKENS))));
      List<int[]> out = new ArrayList<>();
      for (CompletableFuture<GenerationResult> f : futures) out.add(f.get(120, TimeUnit.SECONDS).tokenIds());
      return out;
    }
  }

  private static RgbImage image(int size) {
    byte[] rgb = new byte[size * size * 3];
    for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) ((i * 37 + (i / (3 * size)) * 11) & 0xFF);
    return new RgbImage(size, size, rgb);
  }
}
