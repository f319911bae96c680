package org.moellava.bench;

import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.graph.variables.VariableNames;
import org.moellava.pkg.PackageQuantization;
import org.moellava.tensor.TensorValue;

/**
 * The weight bytes a batch-1 decode step reads: every decoder and {@code lm_head} variable once, the experts'
 * stacked matrices {@code [E, ., .]} for k of E experts, the token embedding for one row only (not counted). A variable the package quantized is read as its codes ({@code bits / 8} bytes
 * an element), its fp32 scales (4 bytes a block of K, or per channel 4 bytes a column) and, without symmetry, its zero
 * points ({@code bits / 8} bytes a block): {@link PackageQuantization#storedBytes}; every other one as fp32. The vision tower and the projector do not run in a decode step.
 */
final class DecodeBytes {
  private DecodeBytes() {}

  /** Bytes read per decoded token by a package of {@code weights} quantized as {@code q} (null: fp32). */
  static double perToken(ModelConfig config, Map<String, TensorValue> weights, PackageQuantization q) {
    double expertShare = (double) config.textConfig().numExpertsPerTok() / config.textConfig().numExperts();
    boolean tied = config.textConfig().tieWordEmbeddings();
    double bytes = 0;
    for (Map.Entry<String, TensorValue> e : weights.entrySet()) {
      String name = e.getKey();
      boolean decoder = name.startsWith(VariableNames.LLM + "/") || name.startsWith("lm_head/");
      if (!decoder) continue;
      if (name.equals(VariableNames.EMBED_TOKENS) && !tied) continue; // one row per step
      double share = name.contains("/mlp/experts/") ? expertShare : 1.0;
      if (q != null && q.tensors().containsKey(name)) {
        bytes += q.storedBytes(e.getValue().shape()) * share;
      } else {
        bytes += e.getValue().numElements() * share * Float.BYTES;
      }
    }
    return bytes;
  }
}
