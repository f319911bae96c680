package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.serve.engine.TokenLogprobs;
import org.moellava.text.WordLevelTokenizerJson;

/**
 * Prefix caching and chunked prefill on the real decoders: a three-turn chat about one image on TensorFlow
 * (checkpoint) and ONNX Runtime (package), each turn repeating the conversation so far, answers the same with the
 * prefix cache, with prefill chunks of 8 positions, and with neither. Both compute prompt positions over cached keys
 * and values ({@code S > 1} new positions over a past): greedy tokens must be equal and log probabilities within
 * 1e-4.
 */
class ContinuationPrefillBackendsTest {
  private static final int TURNS = 3;
  private static final int ANSWER = 8;
  @TempDir static Path dir;
  static Path checkpoint;
  static Path pkg;

  @BeforeAll
  static void model() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(40, 16, 24, 24, 2, 4, 2, 128, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    ModelConfig config = ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text,
        tiny.imageMean(), tiny.imageStd(), "pad", tiny.training(), tiny.systemPrompt()), "prefix cache test");
    byte[] tokenizer = WordLevelTokenizerJson.build(List.of("<pad>", "<eos>", "<image>"), "<pad>", List.of("a"), 8)
        .getBytes(StandardCharsets.UTF_8);
    checkpoint = dir.resolve("ck");
    new CheckpointWriter().write(checkpoint, config, tokenizer, WeightInitializer.randomWeights(config, 5),
        TrainingState.imported(3));
    pkg = new PackageExporter(ExportOptions.defaults().withMoeMode(MoeMode.STANDARD))
        .export(checkpoint, dir.resolve("pkg")).directory();
  }

  @Test
  void tensorFlowAnswersTheSameWithAndWithoutTheCache() throws Exception {
    try (TfBackend backend = TfBackend.fromCheckpoint(checkpoint)) {
      compare("tensorflow", backend);
    }
  }

  @Test
  void onnxRuntimeAnswersTheSameWithAndWithoutTheCache() throws Exception {
    try (OrtBackend backend = OrtBackend.open(pkg, OrtOptions.cpu())) {
      compare("onnxruntime", backend);
    }
  }

  private static void compare(String name, Backend backend) throws Exception {
    List<GenerationResult> plain = chat(backend, new EngineConfig(1, 4));
    List<GenerationResult> cached = chat(backend, new EngineConfig(1, 4, 1 << 20));
    List<GenerationResult> chunked = chat(backend, new EngineConfig(1, 4, 0, 8));
    double worst = Math.max(worstDifference(name + " prefix cache", plain, cached),
        worstDifference(name + " chunked prefill", plain, chunked));
    for (int turn = 1; turn < TURNS; turn++) {
      GenerationResult c = cached.get(turn);
      assertTrue(c.cachedPromptTokens() >= 16, name + " turn " + (turn + 1) + " reused "
          + c.cachedPromptTokens() + " of " + c.promptTokens() + " prompt tokens");
    }
    System.out.printf("%s: prefix cache and prefill chunks of 8 vs neither, %d turns (prompts %s): greedy tokens "
        + "equal, cached prompt tokens %s, worst top-logprob difference %.2e%n", name, TURNS,
        plain.stream().map(GenerationResult::promptTokens).toList(),
        cached.stream().map(GenerationResult::cachedPromptTokens).toList(), worst);
  }

  /** Asserts equal greedy tokens and log probabilities within 1e-4; returns the largest top-logprob difference. */
  private static double worstDifference(String name, List<GenerationResult> plain, List<GenerationResult> other) {
    double worst = 0;
    for (int turn = 0; turn < TURNS; turn++) {
      GenerationResult p = plain.get(turn);
      GenerationResult c = other.get(turn);
      assertEquals(0, p.cachedPromptTokens());
      assertArrayEquals(p.tokenIds(), c.tokenIds(), name + " turn " + (turn + 1) + ": greedy tokens");
      for (int i = 0; i < p.logprobs().size(); i++) {
        TokenLogprobs a = p.logprobs().get(i);
        TokenLogprobs b = c.logprobs().get(i);
        for (int j = 0; j < a.topLogprobs().length; j++) {
          worst = Math.max(worst, Math.abs(a.topLogprobs()[j] - b.topLogprobs()[j]));
        }
        assertEquals(a.logprob(), b.logprob(), 1e-4, name + " turn " + (turn + 1) + " token " + i);
      }
    }
    assertTrue(worst <= 1e-4, name + ": top log probabilities differ by " + worst);
    return worst;
  }

  /** The image first, then per turn a question of 11 ids and the answer, each turn sending everything so far. */
  private static List<GenerationResult> chat(Backend backend, EngineConfig config) throws Exception {
    ModelInfo info = backend.info();
    SplittableRandom random = new SplittableRandom(11);
    float[] pixels = new float[3 * info.imageSize() * info.imageSize()];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) (random.nextDouble() * 2 - 1);
    }
    int[] conversation = new int[info.numImageTokens()];
    Arrays.fill(conversation, info.imageTokenId());
    SamplingParams greedy = new SamplingParams(0, 1, 0, 1, ANSWER, List.of(), 0, 0, Map.of(), 3);
    List<GenerationResult> results = new ArrayList<>();
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(info.vocabSize()),
        config, EngineObserver.NONE)) {
      for (int turn = 0; turn < TURNS; turn++) {
        int[] question = new int[11];
        for (int i = 0; i < question.length; i++) {
          int id = 3 + random.nextInt(info.vocabSize() - 3); // above pad and eos, never the image token
          question[i] = id == info.imageTokenId() ? 3 : id;
        }
        int[] asked = concat(conversation, question);
        GenerationResult result = engine.generate(new GenerationRequest("chat", asked, pixels, greedy))
            .get(120, TimeUnit.SECONDS);
        results.add(result);
        conversation = concat(asked, result.tokenIds());
      }
    }
    return results;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
