package org.moellava.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.conformance.ConformanceCase;
import org.moellava.conformance.TraceRunner;
import org.moellava.config.ModelConfig;
import org.moellava.export.moe.MoeMode;
import org.moellava.error.InvalidInputException;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.quant.QuantScheme;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.runtime.Device;
import org.moellava.runtime.conformance.QuantizedTolerance;
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
 * bandwidth puts on it (each decode step reads every activated weight once). With {@link Options#quantize()} the
 * int8/int4 packages ({@code com.microsoft.MatMulNBits}, standard MoE) of the same weights decode beside them, and
 * with {@link Options#python()} Hugging Face transformers (eager, PyTorch CPU) on the same weights
 * ({@code export hf}) does too, in the same interleaved rounds ({@link TransformersDecode}), its greedy tokens
 * compared with the fp32 package's.
 */
public final class BackendsBench {
  /** Prompt lengths of the prefill measurements. */
  public static final int[] PREFILL = {64, 512};
  /** The prompt of the decode measurement: its context. */
  public static final int DECODE_CONTEXT = 128;
  /** Tokens decoded per decode measurement (after the prompt's first token). */
  public static final int DECODE_TOKENS = 32;
  /** Decode targets against transformers eager (issue 17): fp32, int8, int4. */
  public static final double FP32_TARGET = 2.0;
  public static final double INT8_TARGET = 5.0;
  public static final double INT4_TARGET = 8.0;
  /** {@code --quantize int8-qdq}: int8 per output channel as DequantizeLinear -> MatMul ({@code --quant-format qdq}). */
  public static final String INT8_QDQ = "int8-qdq";
  /** Thresholds off: a quantized bench package is measured, not refused (random weights fail int4's, see docs). */
  private static final QuantizedTolerance MEASURE = new QuantizedTolerance(-1, 0, 0, 0, 0.02);

  /**
   * What to measure beyond the three fp32 backends.
   *
   * @param quantize the quantized packages to decode beside them (int8 and/or int4, each with its default block
   *     size and accuracy level, and/or {@value #INT8_QDQ}); empty for none
   * @param python a Python with torch and transformers for the comparison, or null to skip it
   * @param threads intra-op threads of every ONNX Runtime session and of torch
   * @param foldShapes export the ONNX packages with the decode-kernel passes ({@code export --fold-shapes}, the
   *     default); false measures the graphs as converted
   */
  public record Options(List<String> quantize, Path python, int threads, boolean foldShapes) {
    public Options {
      quantize = List.copyOf(quantize);
      for (String q : quantize) {
        if (!q.equals("int8") && !q.equals("int4") && !q.equals(INT8_QDQ)) {
          throw new InvalidInputException("--quantize " + q + ": expected int8, int4 or both (int8,int4), or int8-qdq");
        }
      }
      if (threads < 1) throw new InvalidInputException("--threads must be at least 1, got " + threads);
    }

    /** The packages as {@code export} writes them by default (folded). */
    public Options(List<String> quantize, Path python, int threads) {
      this(quantize, python, threads, true);
    }

    /** fp32 only, no transformers, 2 threads. */
    public static Options defaults() {
      return new Options(List.of(), null, 2);
    }
  }

  private BackendsBench() {}

  /** The fp32 backends only ({@link Options#defaults()}). */
  public static BenchResult run(String presetName, ModelConfig config, int rounds) {
    return run(presetName, config, rounds, Options.defaults());
  }

  public static BenchResult run(String presetName, ModelConfig config, int rounds, Options options) {
    Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, 1);
    List<String> notes = new ArrayList<>();
    try (BenchPackages packages = new BenchPackages("moellava-bench", config, weights, 1)) {
      ExportOptions export = ExportOptions.defaults().withFoldShapes(options.foldShapes());
      Path standard = packages.export("standard", export);
      Path fused = packages.export("fused", export.withMoeMode(MoeMode.ORT_FUSED));
      List<Path> quantized = new ArrayList<>();
      for (String q : options.quantize()) {
        if (q.equals(INT8_QDQ)) {
          quantized.add(packages.export(q, ExportOptions.defaults().withQuantize(QuantizeOptions.qdq(false, MEASURE))));
          continue;
        }
        QuantScheme scheme = QuantScheme.parse(q, QuantScheme.DEFAULT_BLOCK_SIZE, true,
            QuantScheme.defaultAccuracyLevel(q));
        quantized.add(packages.export(q, export.withQuantize(new QuantizeOptions(scheme, false, MEASURE))));
      }
      int[] prompt = promptIds(config, DECODE_CONTEXT);
      List<BenchResult.Figure> figures = new ArrayList<>();
      List<BenchResult.Ratio> ratios = new ArrayList<>();
      OrtOptions ort = new OrtOptions(Device.CPU, false, 0, options.threads());
      List<Backend> backends = new ArrayList<>();
      TransformersDecode hf = null;
      try {
        backends.add(new TfBackend(config, weights, presetName));
        backends.add(OrtBackend.open(standard, ort));
        backends.add(OrtBackend.open(fused, ort));
        List<String> names = new ArrayList<>(List.of("tensorflow", "onnxruntime standard", "onnxruntime ort-fused"));
        for (int i = 0; i < quantized.size(); i++) {
          backends.add(OrtBackend.open(quantized.get(i), ort));
          names.add("onnxruntime " + options.quantize().get(i));
        }
        hf = startTransformers(options, packages, prompt, notes);
        int longest = Math.min(PREFILL[PREFILL.length - 1], config.textConfig().maxPositionEmbeddings() - DECODE_TOKENS);
        for (int s : PREFILL) {
          int length = Math.min(s, longest);
          ConformanceCase prefill = textCase(config, length, 1);
          double[] ms = timeEach(backends.subList(0, 3), prefill, rounds);
          for (int i = 0; i < ms.length; i++) {
            figures.add(new BenchResult.Figure(presetName + " prefill S=" + length + ": " + names.get(i), ms[i], "ms"));
          }
          ratios.add(new BenchResult.Ratio(presetName + " prefill S=" + length + ": tensorflow / onnxruntime standard",
              ms[0] / ms[1], Double.NaN, false));
        }
        Decoded decoded = decode(backends, hf, prompt, rounds, notes);
        hf = decoded.transformers; // null when it failed during the rounds
        String decodeLabel = presetName + " decode (context " + DECODE_CONTEXT + ", engine): ";
        for (int i = 0; i < backends.size(); i++) {
          figures.add(new BenchResult.Figure(decodeLabel + names.get(i), decoded.rates[i], "tokens/s"));
        }
        double hfRate = decoded.rates[backends.size()];
        if (hf != null) {
          figures.add(new BenchResult.Figure(decodeLabel + "transformers eager (" + hf.versions() + ")", hfRate,
              "tokens/s"));
        }
        ratios.add(new BenchResult.Ratio(presetName + " decode tokens/s: onnxruntime standard / tensorflow",
            decoded.rates[1] / decoded.rates[0], 2.0, false));
        // Roofline: a batch-1 decode step reads every activated weight once, so its bound is bytes / bandwidth.
        double bandwidth = MemoryBandwidth.readBytesPerSecond(5);
        double fp32Bytes = DecodeBytes.perToken(config, weights, null);
        double[] bytes = new double[backends.size()];
        for (int i = 0; i < bytes.length; i++) {
          OrtBackend o = backends.get(i) instanceof OrtBackend b ? b : null;
          bytes[i] = o == null || o.manifest().quantization() == null ? fp32Bytes
              : DecodeBytes.perToken(config, weights, o.manifest().quantization());
        }
        figures.add(new BenchResult.Figure(presetName + " decode: activated weights read per token", fp32Bytes / 1e6,
            "MB"));
        for (int i = 3; i < backends.size(); i++) {
          figures.add(new BenchResult.Figure(presetName + " decode: weights read per token, " + names.get(i),
              bytes[i] / 1e6, "MB"));
        }
        figures.add(new BenchResult.Figure("memory read bandwidth (all cores)", bandwidth / 1e9, "GB/s"));
        figures.add(new BenchResult.Figure(presetName + " decode: bandwidth bound", bandwidth / fp32Bytes,
            "tokens/s"));
        for (int i = 3; i < backends.size(); i++) {
          figures.add(new BenchResult.Figure(presetName + " decode: bandwidth bound, " + names.get(i),
              bandwidth / bytes[i], "tokens/s"));
        }
        for (int i = 0; i < backends.size(); i++) {
          ratios.add(new BenchResult.Ratio(presetName + " decode: " + names.get(i) + " / bandwidth bound",
              decoded.rates[i] * bytes[i] / bandwidth, Double.NaN, false));
        }
        if (hf != null) {
          ratios.add(new BenchResult.Ratio(presetName + " decode: transformers eager / bandwidth bound",
              hfRate * fp32Bytes / bandwidth, Double.NaN, false));
        }
        ratios.add(new BenchResult.Ratio(presetName + " decode tokens/s: onnxruntime ort-fused / tensorflow",
            decoded.rates[2] / decoded.rates[0], Double.NaN, false));
        if (hf != null) {
          for (int i = 1; i < backends.size(); i++) {
            double target = i == 1 ? FP32_TARGET : names.get(i).endsWith("int8") ? INT8_TARGET
                : names.get(i).endsWith("int4") ? INT4_TARGET : Double.NaN;
            ratios.add(new BenchResult.Ratio(presetName + " decode tokens/s: " + names.get(i) + " / transformers",
                decoded.rates[i] / hfRate, target, false));
          }
          int[] ortTokens = decoded.tokens[1];
          int[] hfTokens = decoded.tokens[backends.size()];
          int same = commonPrefix(ortTokens, hfTokens);
          int compared = Math.min(ortTokens.length, hfTokens.length);
          figures.add(new BenchResult.Figure(presetName + " greedy tokens equal, onnxruntime standard fp32 vs "
              + "transformers (of " + compared + ")", same, "tokens"));
          if (same < compared) {
            notes.add("the fp32 package and transformers part at greedy token " + same + ": "
                + Arrays.toString(ortTokens) + " vs " + Arrays.toString(hfTokens));
          }
        }
      } finally {
        if (hf != null) hf.close();
        for (Backend b : backends) b.close();
      }
      return new BenchResult("backends", BenchResult.thisMachine(), figures, ratios, notes);
    }
  }

  /**
   * The transformers side, or null (with the reason in {@code notes}) when no Python was given or it cannot run
   * torch/transformers.
   */
  private static TransformersDecode startTransformers(Options options, BenchPackages packages, int[] prompt,
      List<String> notes) {
    if (options.python() == null) {
      notes.add("transformers comparison skipped: no --python given and " + TransformersDecode.PYTHON_ENV
          + " is not set");
      return null;
    }
    Path folder = packages.exportHf("hf");
    try {
      TransformersDecode hf = TransformersDecode.start(options.python(), folder, prompt, DECODE_TOKENS + 1,
          options.threads());
      hf.warnings().forEach(notes::add);
      return hf;
    } catch (TransformersDecode.Unavailable e) {
      notes.add("transformers comparison skipped: " + options.python() + ": " + e.getMessage());
      return null;
    }
  }

  /** Median decode tokens/s of each backend (then transformers, NaN without it) and the first round's tokens. */
  private record Decoded(double[] rates, int[][] tokens, TransformersDecode transformers) {}

  /**
   * Decode tokens/s of each backend through the serving engine (batch 1, greedy, the {@value #DECODE_CONTEXT}-token
   * prompt, then {@value #DECODE_TOKENS} tokens), and of transformers when {@code hf} is not null: per request, the
   * tokens after the first over the time after the first token. Rounds interleave the backends and transformers;
   * the median of each is reported.
   */
  private static Decoded decode(List<Backend> backends, TransformersDecode hf, int[] prompt, int rounds,
      List<String> notes) {
    List<GenerationEngine> engines = new ArrayList<>();
    int n = backends.size() + 1;
    int[][] tokens = new int[n][];
    try {
      for (Backend b : backends) {
        engines.add(new GenerationEngine(b, new IdsOnlyTokenizer(b.info().vocabSize()), new EngineConfig(1, 4),
            new EngineObserver() {}));
      }
      List<List<Double>> rates = new ArrayList<>();
      for (int i = 0; i < n; i++) rates.add(new ArrayList<>());
      for (int r = -1; r < rounds; r++) { // round -1 warms up
        for (int i = 0; i < engines.size(); i++) {
          long t0 = System.nanoTime();
          GenerationResult result = engines.get(i).generate(new GenerationRequest("bench-decode", prompt, null,
              SamplingParams.greedy(DECODE_TOKENS + 1))).join();
          double decodeSeconds = (System.nanoTime() - t0 - result.timeToFirstTokenNanos()) / 1e9;
          if (tokens[i] == null) tokens[i] = result.tokenIds();
          if (r >= 0 && result.completionTokens() > 1) {
            rates.get(i).add((result.completionTokens() - 1) / decodeSeconds);
          }
        }
        if (hf != null) {
          try {
            TransformersDecode.Round round = hf.round();
            if (tokens[n - 1] == null) tokens[n - 1] = round.tokens();
            if (r >= 0 && !Double.isNaN(round.decodeTokensPerSecond())) {
              rates.get(n - 1).add(round.decodeTokensPerSecond());
            }
          } catch (TransformersDecode.Unavailable e) {
            notes.add("transformers comparison dropped: " + e.getMessage());
            hf.close();
            hf = null;
          }
        }
      }
      double[] medians = new double[n];
      for (int i = 0; i < n; i++) {
        List<Double> v = rates.get(i);
        if (v.isEmpty()) {
          if (i < n - 1) throw new IllegalStateException("bench backends: every decode ended at the first token");
          medians[i] = Double.NaN;
          continue;
        }
        v.sort(Double::compare);
        medians[i] = v.get(v.size() / 2);
      }
      return new Decoded(medians, tokens, hf);
    } finally {
      engines.forEach(GenerationEngine::close);
    }
  }

  /** Tokens equal from the start. */
  private static int commonPrefix(int[] a, int[] b) {
    int i = 0;
    while (i < a.length && i < b.length && a[i] == b[i]) i++;
    return i;
  }

  /** The decode measurement's prompt: {@code length} text ids (no image token), fixed. */
  private static int[] promptIds(ModelConfig config, int length) {
    long[] ids = textCase(config, length, 1).inputIds();
    int[] prompt = new int[length];
    for (int i = 0; i < length; i++) prompt[i] = (int) ids[i];
    return prompt;
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
