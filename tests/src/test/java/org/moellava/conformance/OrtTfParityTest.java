package org.moellava.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.error.BackendUnavailableException;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;

/**
 * The ONNX Runtime backend on a package converted from the project's own graphs agrees with the TensorFlow
 * backend on the same random weights: image features, embeddings, logits, KV cache and router logits at 1e-4,
 * and the same greedy tokens through the generation engine; with int32 and with int64 integer inputs.
 */
class OrtTfParityTest {
  private static final double TOL = 1e-4;
  @TempDir static Path tmp;
  static ModelConfig config;
  static TfBackend tf;
  static Path int32Package;
  static Path int64Package;

  @BeforeAll
  static void setUp() throws Exception {
    config = Presets.get("tiny");
    Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, 11);
    tf = new TfBackend(config, weights, "tiny-test");
    int32Package = TinyPackage.write(Files.createDirectory(tmp.resolve("int32")), config, weights, false);
    int64Package = TinyPackage.write(Files.createDirectory(tmp.resolve("int64")), config, weights, true);
  }

  @AfterAll
  static void tearDown() {
    if (tf != null) tf.close();
  }

  private static Path pkg(boolean int64) {
    return int64 ? int64Package : int32Package;
  }

  @ParameterizedTest(name = "int64 ids: {0}")
  @ValueSource(booleans = {false, true})
  void backendCallsMatchTensorFlow(boolean int64) {
    try (OrtBackend ort = OrtBackend.open(pkg(int64), OrtOptions.cpu())) {
      ModelInfo info = ort.info();
      assertEquals(tf.info(), info, "model.json and the checkpoint config describe the same model");
      FloatBuffer pixels = random(3L * info.imageSize() * info.imageSize(), 3);
      float[] featuresTf = copy(tf.imageFeatures(pixels, 1));
      float[] featuresOrt = copy(ort.imageFeatures(pixels, 1));
      assertClose("image_features", featuresTf, featuresOrt);

      int[] prompt = prompt(info, 5);
      LongBuffer ids = Tensors.longsOf(java.util.Arrays.stream(prompt).asLongStream().toArray());
      FloatBuffer features = Tensors.floatsOf(featuresTf);
      float[] embedsTf = copy(tf.embed(ids, 1, prompt.length, features));
      assertClose("inputs_embeds", embedsTf, copy(ort.embed(ids, 1, prompt.length, features)));

      // prefill, then one step on the returned cache: logits, present and router logits agree
      DecoderInput prefill = prefill(info, Tensors.floatsOf(embedsTf), prompt.length);
      Step tfStep = Step.of(tf.decode(prefill));
      Step ortStep = Step.of(ort.decode(prefill));
      tfStep.assertCloseTo(ortStep);
      DecoderInput next = step(info, tfStep, prompt.length, random(info.hiddenSize(), 4));
      Step.of(tf.decode(next)).assertCloseTo(Step.of(ort.decode(next)));
    }
  }

  @Test
  void greedyTokensThroughTheEngineMatchTensorFlow() throws Exception {
    try (OrtBackend ort = OrtBackend.open(int64Package, OrtOptions.cpu())) {
      ModelInfo info = ort.info();
      float[] pixels = copy(random(3L * info.imageSize() * info.imageSize(), 9));
      List<int[]> ortTokens = generate(ort, info, pixels);
      List<int[]> tfTokens = generate(tf, info, pixels);
      for (int i = 0; i < tfTokens.size(); i++) {
        assertArrayEquals(tfTokens.get(i), ortTokens.get(i), "request " + i);
        assertEquals(12, tfTokens.get(i).length, "random weights rarely hit eos within 12 tokens");
      }
    }
  }

  @Test
  void cudaWithoutTheGpuBuildFailsAtStartWithOneLine() {
    org.junit.jupiter.api.Assumptions.assumeFalse(
        ai.onnxruntime.OrtEnvironment.getAvailableProviders().contains(ai.onnxruntime.OrtProvider.CUDA),
        "this ONNX Runtime build has the CUDA provider");
    BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> OrtBackend.open(
        int32Package, new OrtOptions(Device.CUDA, false, 0, 0)));
    assertTrue(e.getMessage().startsWith("ONNX Runtime CUDA execution provider unavailable"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  /** Three requests at once (different prompts, one without image) so that decode steps are batched. */
  private static List<int[]> generate(Backend backend, ModelInfo info, float[] pixels) throws Exception {
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(info.vocabSize()),
        new EngineConfig(4, 8), new EngineObserver() {})) {
      List<java.util.concurrent.CompletableFuture<GenerationResult>> futures = new ArrayList<>();
      futures.add(engine.generate(new GenerationRequest("a", prompt(info, 5), pixels, SamplingParams.greedy(12))));
      futures.add(engine.generate(new GenerationRequest("b", prompt(info, 9), pixels, SamplingParams.greedy(12))));
      futures.add(engine.generate(new GenerationRequest("c", new int[] {3, 4, 5, 6}, null, SamplingParams.greedy(12))));
      List<int[]> out = new ArrayList<>();
      for (var f : futures) out.add(f.get(60, TimeUnit.SECONDS).tokenIds());
      return out;
    }
  }

  /** {@code [3, 5, image x P, 7, 8 ... ]}: text ids avoid pad, eos and the image token. */
  static int[] prompt(ModelInfo info, int textTokens) {
    int[] ids = new int[2 + info.numImageTokens() + textTokens];
    ids[0] = 3;
    ids[1] = 5;
    for (int i = 0; i < info.numImageTokens(); i++) ids[2 + i] = info.imageTokenId();
    for (int i = 0; i < textTokens; i++) ids[2 + info.numImageTokens() + i] = 7 + (i * 13) % 100;
    return ids;
  }

  private static DecoderInput prefill(ModelInfo info, FloatBuffer embeds, int seq) {
    long[] mask = new long[seq];
    long[] pos = new long[seq];
    for (int i = 0; i < seq; i++) {
      mask[i] = 1;
      pos[i] = i;
    }
    List<FloatBuffer> empty = new ArrayList<>();
    for (int i = 0; i < info.numLayers(); i++) empty.add(Tensors.floats(0));
    return new DecoderInput(1, seq, 0, embeds, Tensors.longsOf(mask), Tensors.longsOf(pos), empty, empty);
  }

  private static DecoderInput step(ModelInfo info, Step past, int pastLength, FloatBuffer embed) {
    long[] mask = new long[pastLength + 1];
    java.util.Arrays.fill(mask, 1);
    List<FloatBuffer> keys = past.keys.stream().map(Tensors::floatsOf).toList();
    List<FloatBuffer> values = past.values.stream().map(Tensors::floatsOf).toList();
    return new DecoderInput(1, 1, pastLength, embed, Tensors.longsOf(mask), Tensors.longsOf(new long[] {pastLength}),
        keys, values);
  }

  private record Step(float[] logits, List<float[]> keys, List<float[]> values, List<float[]> router) {
    static Step of(DecoderOutput out) {
      return new Step(copy(out.logits()), out.presentKeys().stream().map(OrtTfParityTest::copy).toList(),
          out.presentValues().stream().map(OrtTfParityTest::copy).toList(),
          out.routerLogits().stream().map(OrtTfParityTest::copy).toList());
    }

    void assertCloseTo(Step other) {
      assertClose("logits", logits, other.logits);
      for (int i = 0; i < keys.size(); i++) {
        assertClose("present." + i + ".key", keys.get(i), other.keys.get(i));
        assertClose("present." + i + ".value", values.get(i), other.values.get(i));
      }
      assertEquals(router.size(), other.router.size());
      for (int j = 0; j < router.size(); j++) assertClose("router_logits " + j, router.get(j), other.router.get(j));
    }
  }

  static void assertClose(String what, float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, what + " length");
    double worst = 0;
    for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    assertTrue(worst <= TOL, what + ": max |difference| " + worst + " > " + TOL);
  }

  static float[] copy(FloatBuffer b) {
    float[] out = new float[b.limit()];
    b.get(0, out);
    return out;
  }

  static FloatBuffer random(long count, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[Math.toIntExact(count)];
    for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
    return Tensors.floatsOf(v);
  }
}
