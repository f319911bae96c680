package org.moellava.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.config.ParameterCount;
import org.moellava.error.InvalidInputException;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.Backend;
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

/**
 * The figures of one given model, a package (ONNX Runtime) or a checkpoint (TensorFlow, its variables read one at a
 * time): load time and resident memory after loading; through the serving engine at batch 1, a request with an image
 * and {@code textTokens} text tokens ({@code P + textTokens} prompt positions), its prefill latency (time to first
 * token) and decode tokens/s; and the decode's bandwidth bound, the activated weights' bytes read per token (embeddings
 * excluded: one row is read) over the machine's measured memory read bandwidth.
 */
public final class ModelBench {
  private ModelBench() {}

  /** Benchmarks the package or checkpoint in {@code dir}. */
  public static BenchResult run(Path dir, int textTokens, int decodeTokens, int rounds) {
    boolean isPackage = Files.isRegularFile(dir.resolve(PackageManifest.FILE_NAME));
    if (!isPackage && !Files.isDirectory(dir.resolve("variables"))) {
      throw new InvalidInputException(dir + ": neither a package (" + PackageManifest.FILE_NAME + ") nor a checkpoint "
          + "(variables/)");
    }
    String label = dir.toAbsolutePath().normalize().getFileName().toString();
    List<BenchResult.Figure> figures = new ArrayList<>();
    long rssBefore = rssBytes();
    long t0 = System.nanoTime();
    ModelConfig config;
    double weightBytes; // bytes per activated weight read by a decode step
    Backend backend;
    if (isPackage) {
      PackageManifest m = PackageManifestIO.read(dir, PackageManifestIO.Integrity.SKIP);
      config = m.config();
      weightBytes = m.precision().equals("fp16") ? 2 : 4;
      if (m.quantized()) { // packed codes plus one fp32 scale per block, or per column of K = hidden size (routers
        // and norms, a few MB, left out)
        weightBytes = m.quantization().bytesPerWeight(config.textConfig().hiddenSize());
      }
      backend = OrtBackend.open(dir, OrtOptions.cpu());
    } else {
      config = CheckpointReader.open(dir).config();
      weightBytes = 4;
      backend = TfBackend.fromCheckpoint(dir); // variables read one at a time
    }
    try (Backend b = backend) {
      double loadSeconds = (System.nanoTime() - t0) / 1e9;
      figures.add(new BenchResult.Figure(label + " load (" + b.name() + ")", loadSeconds, "s"));
      figures.add(new BenchResult.Figure(label + " resident memory after load", rssBytes() / 1e9, "GB"));
      figures.add(new BenchResult.Figure(label + " resident memory added by the load", (rssBytes() - rssBefore) / 1e9,
          "GB"));
      figures.add(new BenchResult.Figure(label + " of which anonymous (heap, packed weights)", status("RssAnon:") / 1e9,
          "GB"));
      figures.add(new BenchResult.Figure(label + " of which file-backed (memory-mapped weights)",
          status("RssFile:") / 1e9, "GB"));

      int p = b.info().numImageTokens();
      int[] prompt = new int[p + textTokens];
      SplittableRandom random = new SplittableRandom(7);
      for (int i = 0; i < prompt.length; i++) {
        if (i < p) {
          prompt[i] = b.info().imageTokenId();
        } else {
          int id;
          do {
            id = random.nextInt(b.info().vocabSize());
          } while (id == b.info().imageTokenId());
          prompt[i] = id;
        }
      }
      var v = config.visionConfig();
      float[] pixels = new float[v.numChannels() * v.imageSize() * v.imageSize()];
      for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (random.nextDouble() * 4 - 2);
      List<Double> prefill = new ArrayList<>();
      List<Double> decode = new ArrayList<>();
      try (GenerationEngine engine = new GenerationEngine(b, new IdsOnlyTokenizer(b.info().vocabSize()),
          new EngineConfig(1, 4), new EngineObserver() {})) {
        for (int r = 0; r < rounds; r++) {
          long start = System.nanoTime();
          GenerationResult result = engine.generate(new GenerationRequest("bench-model", prompt, pixels,
              SamplingParams.greedy(decodeTokens + 1))).join();
          long total = System.nanoTime() - start;
          prefill.add(result.timeToFirstTokenNanos() / 1e6);
          if (result.completionTokens() > 1) {
            decode.add((result.completionTokens() - 1) / ((total - result.timeToFirstTokenNanos()) / 1e9));
          }
        }
      }
      figures.add(new BenchResult.Figure(label + " prefill, image + " + textTokens + " tokens (" + prompt.length
          + " positions), batch 1", median(prefill), "ms"));
      if (!decode.isEmpty()) {
        figures.add(new BenchResult.Figure(label + " decode at batch 1 (" + decodeTokens + " tokens after "
            + prompt.length + ")", median(decode), "tokens/s"));
      }
      figures.add(new BenchResult.Figure(label + " resident memory after generating", rssBytes() / 1e9, "GB"));

      ParameterCount count = ParameterCount.of(config);
      double bytes = weightBytes * (double) (count.llmActivated() - count.activated().get("embeddings"));
      double bandwidth = MemoryBandwidth.readBytesPerSecond(5);
      figures.add(new BenchResult.Figure(label + " activated weights read per decoded token", bytes / 1e9, "GB"));
      figures.add(new BenchResult.Figure("memory read bandwidth (all cores)", bandwidth / 1e9, "GB/s"));
      figures.add(new BenchResult.Figure(label + " decode bandwidth bound", bandwidth / bytes, "tokens/s"));
      double fp32Bytes = 4 * (double) (count.llmActivated() - count.activated().get("embeddings"));
      if (weightBytes != 4) {
        figures.add(new BenchResult.Figure(label + " fp32 decode bandwidth bound (same model in fp32)",
            bandwidth / fp32Bytes, "tokens/s"));
      }
      List<BenchResult.Ratio> ratios = new ArrayList<>();
      if (!decode.isEmpty()) {
        ratios.add(new BenchResult.Ratio(label + " decode / bandwidth bound", median(decode) * bytes / bandwidth,
            Double.NaN, false));
        if (weightBytes != 4) {
          ratios.add(new BenchResult.Ratio(label + " decode / fp32 bandwidth bound",
              median(decode) * fp32Bytes / bandwidth, Double.NaN, false));
        }
      }
      return new BenchResult("model", BenchResult.thisMachine(), figures, ratios);
    }
  }

  private static double median(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    v.sort(Double::compare);
    return v.get(v.size() / 2);
  }

  /** {@code VmRSS} of this process in bytes (0 where unknown). */
  static long rssBytes() {
    return status("VmRSS:");
  }

  /** A {@code /proc/self/status} memory line ({@code VmRSS:}, {@code RssAnon:}, {@code RssFile:}) in bytes. */
  static long status(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) return Long.parseLong(line.trim().split("\\s+")[1]) * 1024;
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return 0;
  }
}
