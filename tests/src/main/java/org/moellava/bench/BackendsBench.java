package org.moellava.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.conformance.ConformanceCase;
import org.moellava.conformance.TraceRunner;
import org.moellava.config.ModelConfig;
import org.moellava.export.moe.MoeMode;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.graph.TensorValue;
import org.moellava.graph.WeightInitializer;
import org.moellava.io.AtomicFiles;
import org.moellava.serve.backend.Backend;
import org.moellava.serve.backend.ort.OrtBackend;
import org.moellava.serve.backend.ort.OrtOptions;
import org.moellava.serve.backend.tf.TfBackend;

/**
 * {@code bench backends}: prefill latency (S = 64 and 512) and decode tokens/s of the same random-weight model on
 * TensorFlow Java, ONNX Runtime with the standard MoE export and ONNX Runtime with the fused
 * {@code com.microsoft.MoE}, batch 1, side by side.
 */
public final class BackendsBench {
  /** Prompt lengths of the prefill measurements. */
  public static final int[] PREFILL = {64, 512};
  /** Tokens decoded per decode measurement. */
  public static final int DECODE_TOKENS = 16;

  private BackendsBench() {}

  public static BenchResult run(String presetName, ModelConfig config, int rounds) {
    Path work = AtomicFiles.stagingDirectoryFor(Path.of(System.getProperty("java.io.tmpdir"), "moellava-bench"));
    try {
      Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, 1);
      Path checkpoint = new CheckpointWriter().write(work.resolve("checkpoint"), config, null, weights,
          TrainingState.imported(1));
      Path standard = new PackageExporter(ExportOptions.defaults()).export(checkpoint, work.resolve("standard"))
          .directory();
      Path fused = new PackageExporter(ExportOptions.defaults().withMoeMode(MoeMode.ORT_FUSED))
          .export(checkpoint, work.resolve("fused")).directory();
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
        ConformanceCase shortCase = textCase(config, 64, 1);
        ConformanceCase longCase = textCase(config, 64, DECODE_TOKENS + 1);
        double[] once = timeEach(backends, shortCase, rounds);
        double[] withDecode = timeEach(backends, longCase, rounds);
        double[] tokensPerSecond = new double[backends.size()];
        for (int i = 0; i < tokensPerSecond.length; i++) {
          tokensPerSecond[i] = DECODE_TOKENS / ((withDecode[i] - once[i]) / 1000.0);
          figures.add(new BenchResult.Figure(presetName + " decode (context 64): " + names.get(i), tokensPerSecond[i],
              "tokens/s"));
        }
        ratios.add(new BenchResult.Ratio(presetName + " decode tokens/s: onnxruntime standard / tensorflow",
            tokensPerSecond[1] / tokensPerSecond[0], 2.0, false));
        ratios.add(new BenchResult.Ratio(presetName + " decode tokens/s: onnxruntime ort-fused / tensorflow",
            tokensPerSecond[2] / tokensPerSecond[0], Double.NaN, false));
      }
      return new BenchResult("backends", BenchResult.thisMachine(), figures, ratios);
    } finally {
      AtomicFiles.deleteRecursively(work);
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
