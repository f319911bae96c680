package org.moellava.graph;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.moellava.config.TextConfig;
import org.moellava.graph.variables.VariableNames;
import org.moellava.tensor.TensorValue;

/**
 * A plain-Java, double-precision decoder of any {@link org.moellava.config.DecoderArchitecture}, built from
 * {@link Reference}'s blocks and written from the families' definitions (StableLM's and Qwen's decoder layers, Phi-2's
 * parallel layer), independently of the TF graphs. The MoE layers are in the inference form (no capacity).
 */
final class ReferenceDecoder {
  private final TextConfig t;
  private final Map<String, double[]> w = new LinkedHashMap<>();

  ReferenceDecoder(TextConfig t, Map<String, TensorValue> weights) {
    this.t = t;
    weights.forEach((k, v) -> {
      double[] d = new double[v.data().length];
      for (int i = 0; i < d.length; i++) d[i] = v.data()[i];
      w.put(k, d);
    });
  }

  /** Logits {@code [B*S*V]} and router logits per MoE layer {@code [B*S*E]}. */
  record Output(double[] logits, Map<Integer, double[]> routerLogits) {}

  private double[] get(String name) {
    double[] v = w.get(name);
    if (v == null) throw new IllegalArgumentException("no weight " + name);
    return v;
  }

  private double[] opt(String name) {
    return w.get(name);
  }

  private double[] norm(String prefix, double[] x) {
    int d = t.hiddenSize();
    return switch (t.normType()) {
      case RMS_NORM -> Reference.rmsNorm(x, d, get(prefix + "/gamma"), t.rmsNormEps());
      case LAYER_NORM -> Reference.layerNorm(x, d, get(prefix + "/gamma"), opt(prefix + "/beta"), t.rmsNormEps());
    };
  }

  /** {@code [B*S, H*hd]} rows to heads {@code [B, H, S, hd]}. */
  private static double[] toHeads(double[] x, int b, int s, int h, int hd) {
    double[] out = new double[x.length];
    for (int bi = 0; bi < b; bi++) {
      for (int si = 0; si < s; si++) {
        for (int hi = 0; hi < h; hi++) {
          System.arraycopy(x, ((bi * s + si) * h + hi) * hd, out, ((bi * h + hi) * s + si) * hd, hd);
        }
      }
    }
    return out;
  }

  private double[] ffn(int layer, double[] x, int n, Map<Integer, double[]> routers) {
    int d = t.hiddenSize();
    String p = VariableNames.decoderLayer(layer);
    if (!t.isMoeLayer(layer)) {
      int inter = t.intermediateSize();
      return switch (t.mlpType()) {
        case SWIGLU -> Reference.swiGlu(x, d, get(VariableNames.denseGate(layer)), get(VariableNames.denseUp(layer)),
            get(VariableNames.denseDown(layer)), inter);
        case FC -> Reference.fc(x, d, get(VariableNames.denseFc1(layer) + "/kernel"),
            opt(VariableNames.denseFc1(layer) + "/bias"), get(VariableNames.denseFc2(layer) + "/kernel"),
            opt(VariableNames.denseFc2(layer) + "/bias"), inter, t.hiddenAct());
      };
    }
    int e = t.numExperts();
    int inter = t.moeIntermediateSize();
    Reference.ExpertFn expert = switch (t.mlpType()) {
      case SWIGLU -> (row, ex) -> Reference.swiGlu(row, d, slice(get(VariableNames.expertsGate(layer)), ex, d * inter),
          slice(get(VariableNames.expertsUp(layer)), ex, d * inter),
          slice(get(VariableNames.expertsDown(layer)), ex, inter * d), inter);
      case FC -> (row, ex) -> Reference.fc(row, d, slice(get(VariableNames.expertsFc1(layer)), ex, d * inter),
          sliceOpt(opt(VariableNames.expertsFc1Bias(layer)), ex, inter),
          slice(get(VariableNames.expertsFc2(layer)), ex, inter * d),
          sliceOpt(opt(VariableNames.expertsFc2Bias(layer)), ex, d), inter, t.hiddenAct());
    };
    Reference.Moe moe = Reference.moe(x, n, d, get(VariableNames.routerKernel(layer)), e, t.numExpertsPerTok(),
        t.normTopkProb(), null, Double.NaN, expert);
    routers.put(layer, moe.logits());
    return moe.output();
  }

  private static double[] slice(double[] a, int index, int size) {
    return Arrays.copyOfRange(a, index * size, (index + 1) * size);
  }

  private static double[] sliceOpt(double[] a, int index, int size) {
    return a == null ? null : slice(a, index, size);
  }

  /**
   * The decoder on {@code embeds [B, S, D]} with {@code mask [B, S]} and {@code positions [B, S]}. Padded query rows
   * (no visible key) come out NaN.
   */
  Output forward(double[] embeds, int b, int s, int[] mask, int[] positions) {
    int d = t.hiddenSize();
    int hq = t.numAttentionHeads();
    int hkv = t.numKeyValueHeads();
    int hd = t.headDim();
    int n = b * s;
    Map<Integer, double[]> routers = new LinkedHashMap<>();
    double[] h = embeds.clone(); // [N, D]
    for (int layer = 0; layer < t.numHiddenLayers(); layer++) {
      String p = VariableNames.decoderLayer(layer);
      double[] normed = norm(p + "/input_layernorm", h);
      double[] q = Reference.linear(normed, d, get(p + "/self_attn/q_proj/kernel"), hq * hd,
          opt(p + "/self_attn/q_proj/bias"));
      double[] k = Reference.linear(normed, d, get(p + "/self_attn/k_proj/kernel"), hkv * hd,
          opt(p + "/self_attn/k_proj/bias"));
      double[] v = Reference.linear(normed, d, get(p + "/self_attn/v_proj/kernel"), hkv * hd,
          opt(p + "/self_attn/v_proj/bias"));
      double[] qh = Reference.partialRope(toHeads(q, b, s, hq, hd), b, hq, s, hd, t.rotaryDim(), positions,
          t.ropeTheta());
      double[] kh = Reference.partialRope(toHeads(k, b, s, hkv, hd), b, hkv, s, hd, t.rotaryDim(), positions,
          t.ropeTheta());
      double[] context = Reference.attention(qh, kh, toHeads(v, b, s, hkv, hd), mask, b, hq, hkv, s, s, hd);
      double[] attn = Reference.linear(context, hq * hd, get(p + "/self_attn/o_proj/kernel"), d,
          opt(p + "/self_attn/o_proj/bias"));
      double[] out = new double[h.length];
      if (t.parallelResidual()) {
        double[] f = ffn(layer, normed, n, routers);
        for (int i = 0; i < out.length; i++) out[i] = attn[i] + f[i] + h[i];
      } else {
        for (int i = 0; i < out.length; i++) out[i] = h[i] + attn[i];
        double[] f = ffn(layer, norm(p + "/post_attention_layernorm", out), n, routers);
        for (int i = 0; i < out.length; i++) out[i] += f[i];
      }
      h = out;
    }
    h = norm(VariableNames.FINAL_NORM, h);
    int vocab = t.vocabSize();
    double[] logits;
    if (t.tieWordEmbeddings()) {
      double[] embed = get(VariableNames.EMBED_TOKENS); // [V, D]
      double[] transposed = new double[embed.length];
      for (int r = 0; r < vocab; r++) for (int c = 0; c < d; c++) transposed[c * vocab + r] = embed[r * d + c];
      logits = Reference.linear(h, d, transposed, vocab, opt(VariableNames.LM_HEAD_BIAS));
    } else {
      logits = Reference.linear(h, d, get(VariableNames.LM_HEAD_KERNEL), vocab, opt(VariableNames.LM_HEAD_BIAS));
    }
    return new Output(logits, routers);
  }
}
