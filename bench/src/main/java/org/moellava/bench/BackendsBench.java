package org.moellava.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.conformance.ConformanceCase;
import org.moellava.conformance.TraceRunner;
import org.moellava.config.ModelConfig;
import org.moellava.config.ParameterCount;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;

/**
 * {@code bench backends}: prefill latency (S = 64 and 512) and decode tokens/s of the same random-weight model on
 * TensorFlow Java, ONNX Runtime with the standard MoE export and ONNX Runtime with the fused
 * {@code com.microsoft.MoE}, batch 1, side by side; decode through the serving engine, with the bound that memory
 * bandwidth puts on it (each decode step reads every activated weight once).
 */
public final class BackendsBench {
  /** Prompt lengths of the prefill measurements. */
  public static final int[] PREFILL = {64, 512};
  /** Tokens decoded per decode measurement. */
  public static final int DECODE_TOKENS = 16;

  private BackendsBench() {}

  public static BenchResult run(String presetName, ModelConfig config, int rounds) {
    Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, 1);
    try (BenchPackages packages = new BenchPackages("moellava-bench", config, weights, 1)) {
      Path standard = packages.export("standard", ExportOptions.defaults());
      Path fused = packages.export("fused", ExportOptions.defaults().withMoeMode(MoeMode.ORT_FUSED));
      List<BenchResult.Figure> figures = new ArrayList<>();
      List<BenchResult.Ratio> ratios = new ArrayList<>();
      try (TfBackend tf = new TfBackend(config, weights, presetName);
           OrtBackend ortStandard = OrtBackend.open(standard, OrtOptions.cpu());
           OrtBackend ortFused = OrtBackend.open(fused, OrtOptions.cpu())) {
        List<Backend> backends = List.of(tf, ortStandard, ortFused);
        List<String> names = List.of("tensorflow", "onnxruntime standard", "onnxruntime ort-fused");
        int longest = Math.min(PREFILL[PREFILL.length - 1], config.textConfig().maxPositionEmbeddings() - DECODE_TOKENS);
        for (int s : PREFILL) {
          int length = Math.min(s, longest);
          ConformanceCase prefill = textCase(config, length, 1);
          double[] ms = timeEach(backends, prefill, rounds);
          for (int i = 0; i < ms.length; i++) {
            figures.add(new BenchResult.Figure(presetName + " prefill S=" + length + ": " + names.get(i), ms[i], "ms"));
          }
          ratios.add(new BenchResult.Ratio(presetName + " prefill S=" + length + ": tensorflow / onnxruntime standard",
              ms[0] / ms[1], Double.NaN, false));
        }
        double[] tokensPerSecond = decodeTokensPerSecond(backends, config, rounds);
        for (int i = 0; i < tokensPerSecond.length; i++) {
          figures.add(new BenchResult.Figure(presetName + " decode (context 64, engine): " + names.get(i),
              tokensPerSecond[i], "tokens/s"));
        }
        ratios.add(new BenchResult.Ratio(presetName + " decode tokens/s: onnxruntime standard / tensorflow",
            tokensPerSecond[1] / tokensPerSecond[0], 2.0, false));
        // Roofline: a batch-1 decode step reads every activated weight once, so its bound is bytes / bandwidth.
        ParameterCount count = ParameterCount.of(config);
        double weightBytes = Float.BYTES * (double) (count.llmActivated() - count.activated().get("embeddings"));
        double bandwidth = MemoryBandwidth.readBytesPerSecond(5);
        figures.add(new BenchResult.Figure(presetName + " decode: activated weights read per token", weightBytes / 1e6,
            "MB"));
        figures.add(new BenchResult.Figure("memory read bandwidth (all cores)", bandwidth / 1e9, "GB/s"));
        figures.add(new BenchResult.Figure(presetName + " decode: bandwidth bound", bandwidth / weightBytes,
            "tokens/s"));
        for (int i = 0; i < tokensPerSecond.length; i++) {
          ratios.add(new BenchResult.Ratio(presetName + " decode: " + names.get(i) + " / bandwidth bound",
              tokensPerSecond[i] * weightBytes / bandwidth, Double.NaN, false));
        }
        ratios.add(new BenchResult.Ratio(presetName + " decode tokens/s: onnxruntime ort-fused / tensorflow",
            tokensPerSecond[2] / tokensPerSecond[0], Double.NaN, false));
      }
      return new BenchResult("backends", BenchResult.thisMachine(), figures, ratios);
    }
  }

  /**
   * Decode tokens/s of each backend through the serving engine (batch 1, greedy, a 64-token prompt, then
   * {@value #DECODE_TOKENS} tokens): per request, the tokens after the first over the time after the first token.
   * Rounds interleave the backends; the median per backend is reported.
   */
  private static double[] decodeTokensPerSecond(List<Backend> backends, ModelConfig config, int rounds) {
    int[] prompt = new int[64];
    long[] ids = textCase(config, prompt.length, 1).inputIds();
    for (int i = 0; i < prompt.length; i++) prompt[i] = (int) ids[i];
    List<GenerationEngine> engines = new ArrayList<>();
    try {
      for (Backend b : backends) {
        engines.add(new GenerationEngine(b, new IdsOnlyTokenizer(b.info().vocabSize()), new EngineConfig(1, 4),
            new EngineObserver() {}));
      }
      List<List<Double>> rates = new ArrayList<>();
      for (int i = 0; i < engines.size(); i++) rates.add(new ArrayList<>());
      for (int r = -1; r < rounds; r++) { // round -1 warms up
        for (int i = 0; i < engines.size(); i++) {
          long t0 = System.nanoTime();
          GenerationResult result = engines.get(i).generate(new GenerationRequest("bench-decode", prompt, null,
              SamplingParams.greedy(DECODE_TOKENS + 1))).join();
          double decodeSeconds = (System.nanoTime() - t0 - result.timeToFirstTokenNanos()) / 1e9;
          if (r >= 0 && result.completionTokens() > 1) {
            rates.get(i).add((result.completionTokens() - 1) / decodeSeconds);
          }
        }
      }
      double[] medians = new double[engines.size()];
      for (int i = 0; i < medians.length; i++) {
        List<Double> v = rates.get(i);
        if (v.isEmpty()) throw new IllegalStateException("bench backends: every decode ended at the first token");
        v.sort(Double::compare);
        medians[i] = v.get(v.size() / 2);
      }
      return medians;
    } finally {
      engines.forEach(GenerationEngine::close);
    }
  }

  /** A batch-1 text-only prompt of {@code length} tokens, then {@code steps} greedy tokens. */
  private static ConformanceCase textCase(ModelConfig config, int length, int steps) {
    SplittableRandom random = new SplittableRandom(length);
    long[] ids = new long[length];
    long[] mask = new long[length];
    for (int i = 0; i < length; i++) {
      long id;
      do {
        id = random.nextInt(config.textConfig().vocabSize());
      } while (id == config.imageTokenIndex());
      ids[i] = id;
      mask[i] = 1;
    }
    return new ConformanceCase(String.format(Locale.ROOT, "s%d-d%d", length, steps), 1, length, ids, mask, null, steps);
  }

  private static double[] timeEach(List<Backend> backends, ConformanceCase c, int rounds) {
    List<Runnable> variants = new ArrayList<>();
    for (Backend b : backends) variants.add(() -> TraceRunner.run(b, c, null));
    return SideBySide.medianMillis(1, rounds, variants);
  }

}
