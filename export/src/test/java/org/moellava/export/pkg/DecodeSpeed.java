package org.moellava.export.pkg;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.export.validate.PromptBatch;
import org.moellava.runtime.Tensors;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;

/**
 * Batch-1 greedy-style decode speed of several packages on ONNX Runtime CPU with a fixed thread count, measured side
 * by side: all packages are open at once and the rounds interleave them, so drift of the shared machine hits every
 * package alike. Each round times {@value #STEPS} single-token decoder steps after a 64-token prompt (past 64..);
 * the median round counts.
 */
final class DecodeSpeed {
  static final int PROMPT = 64;
  static final int STEPS = 32;

  private DecodeSpeed() {}

  static List<String> sideBySide(ModelConfig config, List<String> names, List<Path> packages, int threads,
      int rounds) {
    List<OrtBackend> backends = new ArrayList<>();
    OrtOptions options = new OrtOptions(org.moellava.runtime.Device.CPU, false, 0, threads);
    try {
      for (Path p : packages) backends.add(OrtBackend.open(p, options));
      double[][] tokensPerSecond = new double[packages.size()][rounds];
      for (int r = -1; r < rounds; r++) { // round -1 warms up
        for (int i = 0; i < backends.size(); i++) {
          double tps = decode(config, backends.get(i));
          if (r >= 0) tokensPerSecond[i][r] = tps;
        }
      }
      List<String> out = new ArrayList<>();
      double base = median(tokensPerSecond[0]);
      for (int i = 0; i < packages.size(); i++) {
        double m = median(tokensPerSecond[i]);
        out.add(String.format("decode %s: %.1f tokens/s (x%.2f of %s), rounds %s", names.get(i), m, m / base,
            names.get(0), java.util.Arrays.toString(round(tokensPerSecond[i]))));
      }
      return out;
    } finally {
      backends.forEach(OrtBackend::close);
    }
  }

  private static double decode(ModelConfig config, OrtBackend ort) {
    int d = config.textConfig().hiddenSize();
    PromptBatch prompt = PromptBatch.random(config, new int[] {PROMPT}, false, 1);
    Tensors.Decoded out = Tensors.decode(ort, noise(new long[] {1, PROMPT, d}, 1), prompt.attentionMask(),
        prompt.positionIds(), Tensors.KvCache.empty(ort.info(), 1));
    TensorValue one = noise(new long[] {1, 1, d}, 2);
    long t0 = System.nanoTime();
    for (int s = 0; s < STEPS; s++) {
      int total = PROMPT + s + 1;
      int[] mask = new int[total];
      java.util.Arrays.fill(mask, 1);
      out = Tensors.decode(ort, one, IntTensorValue.matrix(1, total, mask),
          IntTensorValue.matrix(1, 1, new int[] {PROMPT + s}), out.present());
    }
    return STEPS / ((System.nanoTime() - t0) / 1e9);
  }

  private static double median(double[] x) {
    double[] s = x.clone();
    java.util.Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double[] round(double[] x) {
    double[] r = new double[x.length];
    for (int i = 0; i < x.length; i++) r[i] = Math.round(x[i] * 10) / 10.0;
    return r;
  }

  private static TensorValue noise(long[] shape, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    float[] x = new float[(int) TensorValue.elementCount(shape)];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    return new TensorValue(shape, x);
  }
}
