package org.moellava.graph;

import java.util.Arrays;

/**
 * A plain-Java, double-precision reference of every block, written independently of the TF code: simple loops over
 * row-major arrays, following the Hugging Face definitions.
 */
final class Reference {
  private Reference() {}

  /** LayerNorm over rows of width d; {@code beta} null for a LayerNorm without bias. */
  static double[] layerNorm(double[] x, int d, double[] gamma, double[] beta, double eps) {
    double[] out = new double[x.length];
    for (int r = 0; r < x.length / d; r++) {
      double mean = 0;
      for (int j = 0; j < d; j++) mean += x[r * d + j];
      mean /= d;
      double var = 0;
      for (int j = 0; j < d; j++) var += (x[r * d + j] - mean) * (x[r * d + j] - mean);
      var /= d;
      for (int j = 0; j < d; j++) {
        out[r * d + j] = (x[r * d + j] - mean) / Math.sqrt(var + eps) * gamma[j] + (beta == null ? 0 : beta[j]);
      }
    }
    return out;
  }

  static double[] rmsNorm(double[] x, int d, double[] gamma, double eps) {
    double[] out = new double[x.length];
    for (int r = 0; r < x.length / d; r++) {
      double ms = 0;
      for (int j = 0; j < d; j++) ms += x[r * d + j] * x[r * d + j];
      ms /= d;
      for (int j = 0; j < d; j++) out[r * d + j] = x[r * d + j] / Math.sqrt(ms + eps) * gamma[j];
    }
    return out;
  }

  static double quickGelu(double x) {
    return x / (1 + Math.exp(-1.702 * x));
  }

  static double silu(double x) {
    return x / (1 + Math.exp(-x));
  }

  /** Exact GELU via a high-accuracy erf. */
  static double gelu(double x) {
    return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
  }

  /** erf by its Taylor series (|x| < 3) or continued fraction of erfc; accurate to ~1e-14. */
  static double erf(double x) {
    double ax = Math.abs(x);
    double result;
    if (ax < 3) {
      double sum = 0;
      double term = ax;
      for (int n = 0; n < 200; n++) {
        sum += term / (2 * n + 1);
        term *= -ax * ax / (n + 1);
        if (Math.abs(term) < 1e-17) break;
      }
      result = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      double f = 0;
      for (int k = 60; k >= 1; k--) f = k / 2.0 / (ax + f);
      result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
    }
    return x < 0 ? -result : result;
  }

  /** {@code gelu_new}: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
  static double geluNew(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  static double activation(String name, double x) {
    return switch (name) {
      case "silu" -> silu(x);
      case "gelu_new" -> geluNew(x);
      case "gelu" -> gelu(x);
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** {@code fc2(act(x·fc1 + b1)) + b2} with {@code fc1 [d, i]}, {@code fc2 [i, d]}, biases possibly null. */
  static double[] fc(double[] x, int d, double[] fc1, double[] b1, double[] fc2, double[] b2, int inter, String act) {
    double[] h = linear(x, d, fc1, inter, b1);
    for (int j = 0; j < h.length; j++) h[j] = activation(act, h[j]);
    return linear(h, inter, fc2, d, b2);
  }

  /**
   * Qwen-1's MLP as QWenMLP writes it: {@code c_proj(w1(x) * silu(w2(x)))}, {@code w1/w2 [d, i]},
   * {@code cProj [i, d]}, no biases.
   */
  static double[] qwenMlp(double[] x, int d, double[] w1, double[] w2, double[] cProj, int inter) {
    double[] a1 = linear(x, d, w1, inter, null);
    double[] a2 = linear(x, d, w2, inter, null);
    double[] h = new double[a1.length];
    for (int j = 0; j < h.length; j++) h[j] = a1[j] * silu(a2[j]);
    return linear(h, inter, cProj, d, null);
  }

  /**
   * Partial RoPE (StableLM/Phi/Qwen): the first {@code rd} dims of each head rotate (rotate-half over those
   * {@code rd}, frequencies {@code theta^(-2f/rd)}), the rest pass through. {@code x [B, H, S, hd]}.
   */
  static double[] partialRope(double[] x, int b, int h, int s, int hd, int rd, int[] positions, double theta) {
    double[] out = x.clone();
    int half = rd / 2;
    for (int bi = 0; bi < b; bi++) {
      for (int hi = 0; hi < h; hi++) {
        for (int si = 0; si < s; si++) {
          int base = ((bi * h + hi) * s + si) * hd;
          double pos = positions[bi * s + si];
          for (int j = 0; j < rd; j++) {
            int f = j % half;
            double angle = pos * Math.pow(theta, -2.0 * f / rd);
            double rotated = j < half ? -x[base + j + half] : x[base + j - half];
            out[base + j] = x[base + j] * Math.cos(angle) + rotated * Math.sin(angle);
          }
        }
      }
    }
    return out;
  }

  /** {@code x [n, in] · w [in, out] + b}. */
  static double[] linear(double[] x, int in, double[] w, int out, double[] b) {
    int n = x.length / in;
    double[] y = new double[n * out];
    for (int r = 0; r < n; r++) {
      for (int o = 0; o < out; o++) {
        double s = b == null ? 0 : b[o];
        for (int i = 0; i < in; i++) s += x[r * in + i] * w[i * out + o];
        y[r * out + o] = s;
      }
    }
    return y;
  }

  /** {@code down(silu(x·gate) * (x·up))} with {@code gate/up [d, i]}, {@code down [i, d]}. */
  static double[] swiGlu(double[] x, int d, double[] gate, double[] up, double[] down, int inter) {
    double[] g = linear(x, d, gate, inter, null);
    double[] u = linear(x, d, up, inter, null);
    double[] h = new double[g.length];
    for (int j = 0; j < h.length; j++) h[j] = silu(g[j]) * u[j];
    return linear(h, inter, down, d, null);
  }

  static double[] projector(double[] x, int dv, double[] w1, double[] b1, double[] w2, double[] b2, int d) {
    double[] h = linear(x, dv, w1, d, b1);
    for (int j = 0; j < h.length; j++) h[j] = gelu(h[j]);
    return linear(h, d, w2, d, b2);
  }

  /** RoPE (rotate-half) on {@code x [B, H, S, hd]} with {@code positions [B, S]}. */
  static double[] rope(double[] x, int b, int h, int s, int hd, int[] positions, double theta) {
    double[] out = new double[x.length];
    int half = hd / 2;
    for (int bi = 0; bi < b; bi++) {
      for (int hi = 0; hi < h; hi++) {
        for (int si = 0; si < s; si++) {
          int base = ((bi * h + hi) * s + si) * hd;
          double pos = positions[bi * s + si];
          for (int j = 0; j < hd; j++) {
            int f = j % half;
            double angle = pos * Math.pow(theta, -2.0 * f / hd);
            double rotated = j < half ? -x[base + j + half] : x[base + j - half];
            out[base + j] = x[base + j] * Math.cos(angle) + rotated * Math.sin(angle);
          }
        }
      }
    }
    return out;
  }

  /**
   * Grouped-query attention. {@code q [B,Hq,S,hd]}, {@code k,v [B,Hkv,T,hd]}, {@code mask [B,T]}; the new tokens sit
   * at positions {@code T-S .. T-1}. Output {@code [B,S,Hq*hd]}; rows with no visible key are NaN.
   */
  static double[] attention(double[] q, double[] k, double[] v, int[] mask, int b, int hq, int hkv, int s, int t,
      int hd) {
    double[] out = new double[b * s * hq * hd];
    int past = t - s;
    int group = hq / hkv;
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < hq; h++) {
        int kvh = h / group;
        for (int i = 0; i < s; i++) {
          double[] scores = new double[t];
          double max = Double.NEGATIVE_INFINITY;
          boolean any = false;
          for (int j = 0; j < t; j++) {
            boolean visible = j <= past + i && mask[bi * t + j] == 1;
            if (!visible) {
              scores[j] = Double.NEGATIVE_INFINITY;
              continue;
            }
            any = true;
            double dot = 0;
            for (int c = 0; c < hd; c++) {
              dot += q[((bi * hq + h) * s + i) * hd + c] * k[((bi * hkv + kvh) * t + j) * hd + c];
            }
            scores[j] = dot / Math.sqrt(hd);
            max = Math.max(max, scores[j]);
          }
          for (int c = 0; c < hd; c++) {
            int o = ((bi * s + i) * hq + h) * hd + c;
            if (!any) {
              out[o] = Double.NaN;
              continue;
            }
            double num = 0;
            double den = 0;
            for (int j = 0; j < t; j++) {
              if (scores[j] == Double.NEGATIVE_INFINITY) continue;
              double w = Math.exp(scores[j] - max);
              den += w;
              num += w * v[((bi * hkv + kvh) * t + j) * hd + c];
            }
            out[o] = num / den;
          }
        }
      }
    }
    return out;
  }

  /** Image splice: the r-th image token of row b takes {@code features[b, r]}. */
  static double[] splice(double[] embeds, int[] ids, double[] features, int b, int s, int p, int d, int imageToken) {
    double[] out = embeds.clone();
    for (int bi = 0; bi < b; bi++) {
      int r = 0;
      for (int si = 0; si < s; si++) {
        if (ids[bi * s + si] != imageToken) continue;
        System.arraycopy(features, (bi * p + r) * d, out, (bi * s + si) * d, d);
        r++;
      }
    }
    return out;
  }

  /** The MoE block's outputs. */
  record Moe(double[] output, double[] logits, int[][] chosen, int[] expertCounts, int dropped, double aux) {}

  /**
   * MoE block on {@code x [N, D]}: softmax router, top-k (ties to the lower index), optional DeepSpeed capacity
   * ({@code capacityFactor} NaN = none) with slots in token order, first choices before second choices; padding
   * tokens ({@code tokenMask} 0) take no slot and get no output. Experts {@code gate/up [E,D,I]}, {@code down [E,I,D]}.
   */
  static Moe moe(double[] x, int n, int d, double[] router, double[] gate, double[] up, double[] down, int e,
      int inter, int k, boolean norm, double[] tokenMask, double capacityFactor) {
    return moe(x, n, d, router, e, k, norm, tokenMask, capacityFactor,
        (row, ex) -> swiGlu(row, d, Arrays.copyOfRange(gate, ex * d * inter, (ex + 1) * d * inter),
            Arrays.copyOfRange(up, ex * d * inter, (ex + 1) * d * inter),
            Arrays.copyOfRange(down, ex * inter * d, (ex + 1) * inter * d), inter));
  }

  /** One expert's FFN on one token row {@code [D]}. */
  interface ExpertFn {
    double[] apply(double[] row, int expert);
  }

  /** The MoE block as above with any expert FFN. */
  static Moe moe(double[] x, int n, int d, double[] router, int e, int k, boolean norm, double[] tokenMask,
      double capacityFactor, ExpertFn expert) {
    double[] logits = linear(x, d, router, e, null);
    double[] probs = new double[n * e];
    int[][] chosen = new int[n][k];
    for (int r = 0; r < n; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < e; j++) max = Math.max(max, logits[r * e + j]);
      double sum = 0;
      for (int j = 0; j < e; j++) sum += Math.exp(logits[r * e + j] - max);
      for (int j = 0; j < e; j++) probs[r * e + j] = Math.exp(logits[r * e + j] - max) / sum;
      boolean[] taken = new boolean[e];
      for (int c = 0; c < k; c++) {
        int best = -1;
        for (int j = 0; j < e; j++) {
          if (!taken[j] && (best < 0 || probs[r * e + j] > probs[r * e + best])) best = j; // strict: lower index wins
        }
        taken[best] = true;
        chosen[r][c] = best;
      }
    }
    boolean[] real = new boolean[n];
    int realCount = 0;
    for (int r = 0; r < n; r++) {
      real[r] = tokenMask == null || tokenMask[r] > 0;
      if (real[r]) realCount++;
    }
    boolean[][] kept = new boolean[n][k];
    int dropped = 0;
    int[] demand = new int[e];
    double capacity = Double.isNaN(capacityFactor) ? Double.POSITIVE_INFINITY
        : Math.ceil((double) realCount / e * capacityFactor * k);
    for (int c = 0; c < k; c++) {
      for (int r = 0; r < n; r++) {
        if (!real[r]) continue;
        int ex = chosen[r][c];
        kept[r][c] = demand[ex] < capacity;
        if (!kept[r][c]) dropped++;
        demand[ex]++;
      }
    }
    int[] counts = new int[e];
    double[] out = new double[n * d];
    for (int r = 0; r < n; r++) {
      if (!real[r]) continue;
      double[] w = new double[k];
      double denom = 0;
      for (int c = 0; c < k; c++) {
        w[c] = kept[r][c] ? probs[r * e + chosen[r][c]] : 0;
        denom += w[c];
      }
      double[] row = Arrays.copyOfRange(x, r * d, (r + 1) * d);
      for (int c = 0; c < k; c++) {
        if (!kept[r][c]) continue;
        int ex = chosen[r][c];
        counts[ex]++;
        double weight = norm ? w[c] / denom : w[c];
        double[] y = expert.apply(row, ex);
        for (int j = 0; j < d; j++) out[r * d + j] += weight * y[j];
      }
    }
    double aux = 0;
    for (int j = 0; j < e; j++) {
      double f = 0;
      double p = 0;
      for (int r = 0; r < n; r++) {
        if (!real[r]) continue;
        if (chosen[r][0] == j) f++;
        p += probs[r * e + j];
      }
      aux += (f / realCount) * (p / realCount);
    }
    return new Moe(out, logits, chosen, counts, dropped, aux * e);
  }
}
