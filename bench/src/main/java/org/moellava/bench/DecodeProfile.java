package org.moellava.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.config.ModelConfig;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.quant.QuantScheme;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.Device;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;
import org.moellava.runtime.conformance.QuantizedTolerance;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.serve.adapters.IdsOnlyTokenizer;
import org.moellava.serve.engine.EngineConfig;
import org.moellava.serve.engine.EngineObserver;
import org.moellava.serve.engine.GenerationEngine;
import org.moellava.serve.engine.GenerationRequest;
import org.moellava.serve.engine.GenerationResult;
import org.moellava.serve.engine.SamplingParams;
import org.moellava.tensor.TensorValue;

/**
 * {@code bench profile}: where a batch-1 ONNX Runtime decode step's time goes, per package (fp32 standard MoE, and the
 * int8/int4 packages asked for), at {@value BackendsBench#DECODE_CONTEXT} positions of context:
 *
 * <ul>
 *   <li>the serving engine's time per decoded token (everything: KV packing, both sessions, sampling);
 *   <li>the backend's {@code embed} and {@code decode} calls alone, on fixed inputs (what the engine adds is the
 *       difference);
 *   <li>ONNX Runtime's own profile of the decoder session ({@code SessionOptions.enableProfiling}): the time of a
 *       run and the sum of its node kernels (what ONNX Runtime's executor adds is the difference), and the kernels'
 *       time by operator type.
 * </ul>
 *
 * The profiler timestamps every node, so the profiled run is slower than an unprofiled one: its per-operator
 * split is what it is for; the call times come from the unprofiled backend.
 */
public final class DecodeProfile {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Operator types listed per package (the rest summed as "other"). */
  private static final int TOP_OPS = 10;

  private DecodeProfile() {}

  public static BenchResult run(String label, ModelConfig config, int rounds, List<String> quantize, int threads) {
    Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, 1);
    List<BenchResult.Figure> figures = new ArrayList<>();
    List<BenchResult.Ratio> ratios = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    OrtOptions ort = new OrtOptions(Device.CPU, false, 0, threads);
    int steps = rounds * BackendsBench.DECODE_TOKENS;
    try (BenchPackages packages = new BenchPackages("moellava-profile", config, weights, 1)) {
      Map<String, Path> variants = new LinkedHashMap<>();
      Map<String, Path> unfolded = new LinkedHashMap<>(); // the same export without the ShapePlumbingFolder
      variants.put("fp32", packages.export("fp32", ExportOptions.defaults()));
      unfolded.put("fp32", packages.export("fp32-unfolded", ExportOptions.defaults().withFoldShapes(false)));
      for (String q : quantize) {
        QuantScheme scheme = QuantScheme.parse(q, QuantScheme.DEFAULT_BLOCK_SIZE, true,
            QuantScheme.defaultAccuracyLevel(q));
        ExportOptions options = ExportOptions.defaults().withQuantize(
            new QuantizeOptions(scheme, false, new QuantizedTolerance(-1, 0, 0, 0, 0.02)));
        variants.put(q, packages.export(q, options));
        unfolded.put(q, packages.export(q + "-unfolded", options.withFoldShapes(false)));
      }
      for (Map.Entry<String, Path> v : variants.entrySet()) {
        String name = label + " " + v.getKey();
        double engineMs;
        double[] callMs;
        double[][] variantsMs;
        List<String> optionNames = List.of(" (past growing by one a step)", ", intra-op threads spinning",
            ", no memory pattern", ", past fixed at " + BackendsBench.DECODE_CONTEXT + " (shapes repeat)",
            ", shape plumbing not folded (--no-fold-shapes)");
        try (OrtBackend backend = OrtBackend.open(v.getValue(), ort);
             OrtBackend spinning = OrtBackend.open(v.getValue(), ort.withSpinning(true));
             OrtBackend noPattern = OrtBackend.open(v.getValue(), ort.withMemoryPattern(false));
             OrtBackend notFolded = OrtBackend.open(unfolded.get(v.getKey()), ort)) {
          engineMs = 1e3 / engineTokensPerSecond(backend, config, rounds);
          variantsMs = callMillis(List.of(backend, spinning, noPattern, backend, notFolded),
              List.of(true, true, true, false, true), steps);
          callMs = variantsMs[0];
        }
        Profile profile;
        try (OrtBackend profiled = OrtBackend.openProfiled(v.getValue(), ort,
            packages.directory().resolve("profile-" + v.getKey()))) {
          callMillis(List.of(profiled), List.of(true), steps);
          profile = Profile.read(profiled.endDecoderProfiling());
        }
        Profile unfoldedProfile;
        try (OrtBackend profiled = OrtBackend.openProfiled(unfolded.get(v.getKey()), ort,
            packages.directory().resolve("profile-" + v.getKey() + "-unfolded"))) {
          callMillis(List.of(profiled), List.of(true), steps);
          unfoldedProfile = Profile.read(profiled.endDecoderProfiling());
        }
        figures.add(new BenchResult.Figure(name + ": engine, per decoded token", engineMs, "ms"));
        figures.add(new BenchResult.Figure(name + ": backend embed call", callMs[0], "ms"));
        for (int i = 0; i < optionNames.size(); i++) {
          figures.add(new BenchResult.Figure(name + ": backend decoder call" + optionNames.get(i), variantsMs[i][1],
              "ms"));
        }
        figures.add(new BenchResult.Figure(name + ": profiled decoder run (ORT model_run)", profile.runMs, "ms"));
        figures.add(new BenchResult.Figure(name + ": profiled node kernels, sum", profile.kernelMs, "ms"));
        figures.add(new BenchResult.Figure(name + ": node kernels per run", profile.nodesPerRun, "nodes"));
        figures.add(new BenchResult.Figure(name + ": node kernels per run, shape plumbing not folded",
            unfoldedProfile.nodesPerRun, "nodes"));
        figures.add(new BenchResult.Figure(name + ": profiled node kernels, sum, shape plumbing not folded",
            unfoldedProfile.kernelMs, "ms"));
        List<Map.Entry<String, double[]>> ops = new ArrayList<>(profile.byOp.entrySet());
        ops.sort((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]));
        double other = 0;
        int otherNodes = 0;
        for (int i = 0; i < ops.size(); i++) {
          double[] t = ops.get(i).getValue();
          if (i < TOP_OPS) {
            figures.add(new BenchResult.Figure(String.format(java.util.Locale.ROOT, "%s:   %s (%d per run)", name,
                ops.get(i).getKey(), Math.round(t[1])), t[0], "ms"));
          } else {
            other += t[0];
            otherNodes += (int) Math.round(t[1]);
          }
        }
        if (other > 0) {
          figures.add(new BenchResult.Figure(name + ":   other (" + otherNodes + " per run)", other, "ms"));
        }
        ratios.add(new BenchResult.Ratio(name + ": decoder call, not folded / folded (speed-up of the folding)",
            variantsMs[4][1] / variantsMs[0][1], Double.NaN, false));
        ratios.add(new BenchResult.Ratio(name + ": engine outside the two calls / engine",
            (engineMs - callMs[0] - callMs[1]) / engineMs, Double.NaN, false));
        ratios.add(new BenchResult.Ratio(name + ": profiled run outside the kernels / run",
            (profile.runMs - profile.kernelMs) / profile.runMs, Double.NaN, false));
      }
    }
    notes.add("profiled runs are slower than plain ones (the profiler times every node); their split is the point");
    return new BenchResult("profile", BenchResult.thisMachine(), figures, ratios, notes);
  }

  /** Median decode tokens/s through the engine, as {@code bench backends} measures it. */
  private static double engineTokensPerSecond(OrtBackend backend, ModelConfig config, int rounds) {
    int[] prompt = new int[BackendsBench.DECODE_CONTEXT];
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < prompt.length; i++) {
      int id;
      do {
        id = random.nextInt(config.textConfig().vocabSize());
      } while (id == config.imageTokenIndex());
      prompt[i] = id;
    }
    List<Double> rates = new ArrayList<>();
    try (GenerationEngine engine = new GenerationEngine(backend, new IdsOnlyTokenizer(backend.info().vocabSize()),
        new EngineConfig(1, 4), new EngineObserver() {})) {
      for (int r = -1; r < rounds; r++) {
        long t0 = System.nanoTime();
        GenerationResult result = engine.generate(new GenerationRequest("profile", prompt, null,
            SamplingParams.greedy(BackendsBench.DECODE_TOKENS + 1))).join();
        double seconds = (System.nanoTime() - t0 - result.timeToFirstTokenNanos()) / 1e9;
        if (r >= 0 && result.completionTokens() > 1) rates.add((result.completionTokens() - 1) / seconds);
      }
    }
    if (rates.isEmpty()) throw new IllegalStateException("bench profile: every decode ended at the first token");
    Collections.sort(rates);
    return rates.get(rates.size() / 2);
  }

  /**
   * Median milliseconds of each backend's {@code embed} ([1, 1]) and {@code decode} ([1, 1] over a past of
   * {@value BackendsBench#DECODE_CONTEXT} to {@value BackendsBench#DECODE_CONTEXT} + {@value BackendsBench#DECODE_TOKENS}
   * - 1 positions, growing by one a step as in generation) calls, {@code steps} of each after 5 warm-up ones, the backends
   * interleaved step by step: {@code [backend][embed, decode]}; a backend whose {@code growing} flag is false
   * decodes over a past of {@value BackendsBench#DECODE_CONTEXT} positions every step instead.
   */
  private static double[][] callMillis(List<OrtBackend> backends, List<Boolean> growing, int steps) {
    ModelInfo info = backends.get(0).info();
    int longest = BackendsBench.DECODE_CONTEXT + BackendsBench.DECODE_TOKENS;
    LongBuffer ids = Tensors.longsOf(new long[] {5});
    LongBuffer fullMask = Tensors.longs(longest + 1);
    for (int i = 0; i <= longest; i++) fullMask.put(i, 1);
    LongBuffer positions = Tensors.longs(1);
    List<FloatBuffer> keys = new ArrayList<>();
    List<FloatBuffer> values = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(3);
    long perLayer = (long) info.numKeyValueHeads() * longest * info.headDim(); // [1, Hkv, past, hd], at most
    for (int layer = 0; layer < info.numLayers(); layer++) {
      FloatBuffer k = Tensors.floats(perLayer);
      FloatBuffer val = Tensors.floats(perLayer);
      for (int i = 0; i < perLayer; i++) {
        k.put(i, (float) random.nextGaussian());
        val.put(i, (float) random.nextGaussian());
      }
      keys.add(k);
      values.add(val);
    }
    FloatBuffer embeds = Tensors.floats(info.hiddenSize()); // [1, 1, D]
    List<List<Double>> embedMs = new ArrayList<>();
    List<List<Double>> decodeMs = new ArrayList<>();
    for (int b = 0; b < backends.size(); b++) {
      embedMs.add(new ArrayList<>());
      decodeMs.add(new ArrayList<>());
    }
    for (int s = -5; s < steps; s++) {
      int stepPast = BackendsBench.DECODE_CONTEXT + Math.floorMod(s, BackendsBench.DECODE_TOKENS);
      int past = stepPast;
      positions.put(0, past);
      LongBuffer mask = Tensors.view(fullMask, past + 1);
      long pastElements = (long) info.numKeyValueHeads() * past * info.headDim();
      List<FloatBuffer> pastKeys = new ArrayList<>();
      List<FloatBuffer> pastValues = new ArrayList<>();
      for (int layer = 0; layer < info.numLayers(); layer++) {
        pastKeys.add(Tensors.view(keys.get(layer), (int) pastElements));
        pastValues.add(Tensors.view(values.get(layer), (int) pastElements));
      }
      for (int b = 0; b < backends.size(); b++) {
        OrtBackend backend = backends.get(b);
        int p = growing.get(b) ? stepPast : BackendsBench.DECODE_CONTEXT;
        if (p != past) {
          positions.put(0, p);
          mask = Tensors.view(fullMask, p + 1);
          pastElements = (long) info.numKeyValueHeads() * p * info.headDim();
          pastKeys = new ArrayList<>();
          pastValues = new ArrayList<>();
          for (int layer = 0; layer < info.numLayers(); layer++) {
            pastKeys.add(Tensors.view(keys.get(layer), (int) pastElements));
            pastValues.add(Tensors.view(values.get(layer), (int) pastElements));
          }
          past = p;
        }
        long t0 = System.nanoTime();
        FloatBuffer e = backend.embed(ids, 1, 1, null);
        long t1 = System.nanoTime();
        embeds.put(0, e, 0, info.hiddenSize());
        long t2 = System.nanoTime();
        backend.decode(new DecoderInput(1, 1, past, embeds, mask, positions, pastKeys, pastValues));
        long t3 = System.nanoTime();
        if (s >= 0) {
          embedMs.get(b).add((t1 - t0) / 1e6);
          decodeMs.get(b).add((t3 - t2) / 1e6);
        }
      }
    }
    double[][] medians = new double[backends.size()][];
    for (int b = 0; b < backends.size(); b++) {
      Collections.sort(embedMs.get(b));
      Collections.sort(decodeMs.get(b));
      medians[b] = new double[] {embedMs.get(b).get(steps / 2), decodeMs.get(b).get(steps / 2)};
    }
    return medians;
  }

  /** ONNX Runtime's profile of a session: median run, mean kernel sum per run, per-op-type time and count per run. */
  private record Profile(double runMs, double kernelMs, double nodesPerRun, Map<String, double[]> byOp) {
    static Profile read(Path file) {
      JsonNode events;
      try {
        events = JSON.readTree(file.toFile());
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read ONNX Runtime's profile " + file + ": " + e.getMessage(), e);
      }
      List<Double> runs = new ArrayList<>();
      Map<String, double[]> byOp = new LinkedHashMap<>();
      double kernels = 0;
      double nodes = 0;
      for (JsonNode e : events) {
        String cat = e.path("cat").asText();
        String name = e.path("name").asText();
        double ms = e.path("dur").asDouble() / 1e3;
        if (cat.equals("Session") && name.equals("model_run")) {
          runs.add(ms);
        } else if (cat.equals("Node") && name.endsWith("_kernel_time")) {
          String op = e.path("args").path("op_name").asText("?");
          double[] t = byOp.computeIfAbsent(op, k -> new double[2]);
          t[0] += ms;
          t[1] += 1;
          kernels += ms;
          nodes += 1;
        }
      }
      if (runs.isEmpty()) throw new IllegalStateException("ONNX Runtime's profile " + file + " holds no model_run");
      int n = runs.size();
      for (double[] t : byOp.values()) {
        t[0] /= n;
        t[1] /= n;
      }
      Collections.sort(runs);
      return new Profile(runs.get(n / 2), kernels / n, nodes / n, byOp);
    }
  }
}
