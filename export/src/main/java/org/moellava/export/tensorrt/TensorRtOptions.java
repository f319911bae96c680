package org.moellava.export.tensorrt;

import java.nio.file.Path;
import java.util.List;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.pkg.PackageManifest;

/**
 * How to build TensorRT engines.
 *
 * @param batch min, opt, max batch size of the optimisation profiles
 * @param sequence min, opt, max new tokens per call
 * @param pastSequence min, opt, max cached tokens
 * @param fp16 allow FP16 kernels
 * @param tf32 allow TF32 kernels
 * @param optimizationLevel builder optimisation level 0..5
 * @param timingCache timing cache file, read when present and written after the build; null for none
 */
public record TensorRtOptions(List<Integer> batch, List<Integer> sequence, List<Integer> pastSequence, boolean fp16,
    boolean tf32, int optimizationLevel, Path timingCache) {

  public TensorRtOptions {
    batch = checkRange("batch", batch, 1);
    sequence = checkRange("sequence", sequence, 1);
    pastSequence = checkRange("past-sequence", pastSequence, 0);
    if (optimizationLevel < 0 || optimizationLevel > 5) {
      throw new InvalidInputException("--trt-opt-level " + optimizationLevel + ": must be 0..5");
    }
  }

  /**
   * Defaults from the config: batch 1/1/8; sequence 1/128/max_position_embeddings; past 0/512/
   * max_position_embeddings - 1 (each opt clipped to max).
   */
  public static TensorRtOptions defaults(ModelConfig config, boolean fp16) {
    int maxPos = config.textConfig().maxPositionEmbeddings();
    return new TensorRtOptions(List.of(1, 1, 8), List.of(1, Math.min(128, maxPos), maxPos),
        List.of(0, Math.min(512, maxPos - 1), maxPos - 1), fp16, true, 3, null);
  }

  /** The ranges as recorded in {@code model.json}. */
  public PackageManifest.TensorRtProfiles profiles() {
    return new PackageManifest.TensorRtProfiles(batch, sequence, pastSequence);
  }

  private static List<Integer> checkRange(String name, List<Integer> r, int lowest) {
    if (r == null || r.size() != 3 || r.get(0) < lowest || r.get(0) > r.get(1) || r.get(1) > r.get(2)) {
      throw new InvalidInputException("--trt-" + name + " " + r + ": expected min,opt,max with " + lowest
          + " <= min <= opt <= max");
    }
    return List.copyOf(r);
  }
}
