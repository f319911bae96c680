package org.moellava.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;
import org.moellava.safetensors.SafetensorsEntry;
import org.moellava.safetensors.SafetensorsWriter;

/**
 * Imports a Hugging Face {@code LlavaForConditionalGeneration} folder (CLIP vision tower + Qwen2-MoE without a
 * shared expert) into a project checkpoint directory, using {@link HfWeightMapping}.
 *
 * <p>Everything is read and checked before anything is written: a missing file, an unknown model type, a
 * config the project cannot express, a tensor of the wrong shape, a missing key, an unexpected key (unless
 * allowed) or a damaged safetensors file fails with a one-line error naming the file and key, and leaves no
 * output. The checkpoint itself is written atomically.
 */
public final class HfImporter {
  /** Extra checkpoint file holding the inert tensors ({@link HfWeightMapping#INERT}) that had data. */
  public static final String INERT_FILE = "hf_inert.safetensors";
  static final String TOKENIZER = "tokenizer.json";

  private final boolean allowExtra;

  /**
   * @param allowExtra ignore tensors the mapping does not know instead of failing
   */
  public HfImporter(boolean allowExtra) {
    this.allowExtra = allowExtra;
  }

  /** What an import produced. */
  public record Result(ModelConfig config, Map<String, TensorValue> variables, Map<String, TensorValue> inert,
      byte[] tokenizerJson, Set<String> ignoredKeys) {}

  /** Imports {@code hfDir} into the checkpoint directory {@code target}. */
  public Result importTo(Path hfDir, Path target) {
    Result result = read(hfDir);
    Map<String, byte[]> extra = new LinkedHashMap<>();
    if (!result.inert().isEmpty()) extra.put(INERT_FILE, inertBytes(result.inert()));
    new CheckpointWriter().write(target, result.config(), result.tokenizerJson(), result.variables(),
        TrainingState.imported(result.config().training().seed()), extra);
    return result;
  }

  /** Reads and converts {@code hfDir} without writing anything. */
  public Result read(Path hfDir) {
    if (!Files.isDirectory(hfDir)) {
      throw new InvalidInputException(hfDir + ": Hugging Face model folder not found");
    }
    ModelConfig config = HfConfigReader.read(hfDir);
    Map<String, TensorValue> variables = new LinkedHashMap<>();
    Map<String, TensorValue> inert = new LinkedHashMap<>();
    Set<String> used = new TreeSet<>();
    try (HfWeightFiles weights = HfWeightFiles.open(hfDir)) {
      for (HfWeightMapping.Resolved r : HfWeightMapping.resolve(config)) {
        variables.put(r.projectName(), convert(weights, r, config, used));
      }
      for (HfWeightMapping.Resolved r : HfWeightMapping.resolveInert(config)) {
        String key = r.hfKeys().get(0);
        if (!weights.contains(key)) continue; // absent inert tensors are recreated on export
        checkShape(weights, key, r.hfShape());
        used.add(key);
        if (weights.entry(key).numElements() > 0) inert.put(key, weights.read(key));
      }
      Set<String> extra = new TreeSet<>(weights.keys());
      extra.removeAll(used);
      if (!extra.isEmpty() && !allowExtra) {
        String first = extra.iterator().next();
        throw new InvalidInputException(weights.describe(first) + ": unexpected key: the mapping for this config"
            + " has no such tensor" + (extra.size() > 1 ? " (and " + (extra.size() - 1) + " more)" : "")
            + "; pass allowExtra to ignore unknown tensors");
      }
      return new Result(config, variables, inert, readTokenizer(hfDir), extra);
    }
  }

  private static TensorValue convert(HfWeightFiles weights, HfWeightMapping.Resolved r, ModelConfig config,
      Set<String> used) {
    if (r.transform() == HfTransform.EXPERTS_LINEAR && !weights.contains(r.hfKeys().get(0))) {
      return convertFused(weights, r, config, used);
    }
    List<TensorValue> parts = new ArrayList<>();
    for (String key : r.hfKeys()) {
      if (!weights.contains(key)) {
        throw new InvalidInputException(weights.source() + ": missing key '" + key + "' (needed for "
            + r.projectName() + ")");
      }
      checkShape(weights, key, r.hfShape());
      parts.add(weights.read(key));
      used.add(key);
    }
    return r.transform().toProject(parts);
  }

  /** Experts stored fused: {@code gate_up_proj [E, 2I, D]} and {@code down_proj [E, D, I]}. */
  private static TensorValue convertFused(HfWeightFiles weights, HfWeightMapping.Resolved r, ModelConfig config,
      Set<String> used) {
    int experts = config.textConfig().numExperts();
    boolean down = r.projectName().endsWith("down_proj");
    String key = HfWeightMapping.fusedKey(down ? HfWeightMapping.FUSED_DOWN : HfWeightMapping.FUSED_GATE_UP,
        r.layer());
    if (!weights.contains(key)) {
      throw new InvalidInputException(weights.source() + ": missing key '" + r.hfKeys().get(0) + "' (or fused '"
          + key + "'), needed for " + r.projectName());
    }
    long[] per = r.hfShape(); // [out, in] of one expert
    long[] fusedShape = down ? new long[] {experts, per[0], per[1]} : new long[] {experts, 2 * per[0], per[1]};
    checkShape(weights, key, fusedShape);
    used.add(key);
    TensorValue fused = weights.read(key);
    int rows = (int) per[0];
    int cols = (int) per[1];
    int rowOffset = r.projectName().endsWith("up_proj") && !down ? rows : 0;
    int fusedRows = (int) fusedShape[1];
    List<TensorValue> parts = new ArrayList<>();
    for (int e = 0; e < experts; e++) {
      float[] w = new float[rows * cols];
      int base = (e * fusedRows + rowOffset) * cols;
      System.arraycopy(fused.data(), base, w, 0, rows * cols);
      parts.add(new TensorValue(per.clone(), w));
    }
    return r.transform().toProject(parts);
  }

  private static void checkShape(HfWeightFiles weights, String key, long[] expected) {
    SafetensorsEntry e = weights.entry(key);
    if (!Arrays.equals(e.shape(), expected)) {
      throw new InvalidInputException(weights.describe(key) + ": shape " + Arrays.toString(e.shape())
          + " does not match the config, which needs " + Arrays.toString(expected));
    }
    if (!e.dtype().isFloatingPoint()) {
      throw new InvalidInputException(weights.describe(key) + ": dtype " + e.dtype()
          + " is not a floating-point type (F32, F16, BF16)");
    }
  }

  private static byte[] readTokenizer(Path hfDir) {
    Path file = hfDir.resolve(TOKENIZER);
    if (!Files.isRegularFile(file)) return null;
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static byte[] inertBytes(Map<String, TensorValue> inert) {
    SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
    inert.forEach(writer::addFloat);
    return writer.toBytes();
  }
}
