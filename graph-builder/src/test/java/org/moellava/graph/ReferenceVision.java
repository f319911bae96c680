package org.moellava.graph;

import java.util.Map;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionConfig;
import org.moellava.config.VisionStyle;
import org.moellava.graph.variables.VariableNames;
import org.moellava.tensor.TensorValue;

/**
 * A plain-Java, double-precision reference of the vision tower and projector, written from Hugging Face's
 * {@code CLIPVisionModel} / {@code SiglipVisionModel} and LLaVA's feature selection: patch convolution (SigLIP: with
 * bias), CLIP's class token and pre-LayerNorm, learned positions, pre-LN encoder layers with full (non-causal)
 * attention and the style's MLP activation, the hidden state after {@code visionLayersUsed()} layers without its
 * first position, then the projector.
 */
final class ReferenceVision {
  private final ModelConfig config;
  private final VisionConfig v;
  private final Map<String, TensorValue> w;

  ReferenceVision(ModelConfig config, Map<String, TensorValue> weights) {
    this.config = config;
    this.v = config.visionConfig();
    this.w = weights;
  }

  private double[] get(String name) {
    float[] f = w.get(name).data();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) d[i] = f[i];
    return d;
  }

  /** {@code pixels [B, 3, H, W]} to projected image features {@code [B, P, D]}. */
  double[] imageFeatures(double[] pixels, int b) {
    int dv = v.hiddenSize();
    int p = v.numPatches();
    double[] tower = tower(pixels, b); // [B, P, Dv]
    return Reference.projector(tower, dv, get(VariableNames.PROJECTOR_LINEAR_1 + "/kernel"),
        get(VariableNames.PROJECTOR_LINEAR_1 + "/bias"), get(VariableNames.PROJECTOR_LINEAR_2 + "/kernel"),
        get(VariableNames.PROJECTOR_LINEAR_2 + "/bias"), config.textConfig().hiddenSize());
  }

  /** The tower's selected features {@code [B, P, Dv]}. */
  double[] tower(double[] pixels, int b) {
    VisionStyle style = v.visionStyle();
    int dv = v.hiddenSize();
    int ps = v.patchSize();
    int side = v.imageSize();
    int grid = v.patchesPerSide();
    int cls = style == VisionStyle.CLIP ? 1 : 0;
    int n = grid * grid + cls; // tokens
    double[] kernel = get(VariableNames.PATCH_EMBEDDING_KERNEL); // [p, p, 3, Dv]
    double[] bias = style == VisionStyle.SIGLIP ? get(VariableNames.PATCH_EMBEDDING_BIAS) : new double[dv];
    double[] pos = get(VariableNames.POSITION_EMBEDDING); // [n, Dv]
    double[] h = new double[b * n * dv];
    for (int bi = 0; bi < b; bi++) {
      if (cls == 1) {
        double[] c = get(VariableNames.CLASS_EMBEDDING);
        for (int o = 0; o < dv; o++) h[(bi * n) * dv + o] = c[o];
      }
      for (int py = 0; py < grid; py++) {
        for (int px = 0; px < grid; px++) {
          int t = cls + py * grid + px;
          for (int o = 0; o < dv; o++) {
            double acc = bias[o];
            for (int c = 0; c < 3; c++) {
              for (int ky = 0; ky < ps; ky++) {
                for (int kx = 0; kx < ps; kx++) {
                  double pix = pixels[((bi * 3 + c) * side + py * ps + ky) * side + px * ps + kx];
                  acc += pix * kernel[((ky * ps + kx) * 3 + c) * dv + o];
                }
              }
            }
            h[(bi * n + t) * dv + o] = acc;
          }
        }
      }
      for (int t = 0; t < n; t++) {
        for (int o = 0; o < dv; o++) h[(bi * n + t) * dv + o] += pos[t * dv + o];
      }
    }
    if (style == VisionStyle.CLIP) {
      h = Reference.layerNorm(h, dv, get(VariableNames.PRE_LAYERNORM + "/gamma"),
          get(VariableNames.PRE_LAYERNORM + "/beta"), v.layerNormEps());
    }
    for (int i = 0; i < config.visionLayersUsed(); i++) h = layer(h, b, n, VariableNames.visionLayer(i));
    double[] out = new double[b * (n - 1) * dv];
    for (int bi = 0; bi < b; bi++) {
      System.arraycopy(h, (bi * n + 1) * dv, out, bi * (n - 1) * dv, (n - 1) * dv);
    }
    return out;
  }

  private double[] layer(double[] x, int b, int n, String prefix) {
    int dv = v.hiddenSize();
    int heads = v.numAttentionHeads();
    int hd = v.headDim();
    double[] a = Reference.layerNorm(x, dv, get(prefix + "/layer_norm1/gamma"), get(prefix + "/layer_norm1/beta"),
        v.layerNormEps());
    double[] q = Reference.linear(a, dv, get(prefix + "/self_attn/q_proj/kernel"), dv,
        get(prefix + "/self_attn/q_proj/bias"));
    double[] k = Reference.linear(a, dv, get(prefix + "/self_attn/k_proj/kernel"), dv,
        get(prefix + "/self_attn/k_proj/bias"));
    double[] val = Reference.linear(a, dv, get(prefix + "/self_attn/v_proj/kernel"), dv,
        get(prefix + "/self_attn/v_proj/bias"));
    double[] ctx = new double[x.length];
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < n; i++) {
          double[] s = new double[n];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < n; j++) {
            double dot = 0;
            for (int c = 0; c < hd; c++) dot += q[(bi * n + i) * dv + h * hd + c] * k[(bi * n + j) * dv + h * hd + c];
            s[j] = dot / Math.sqrt(hd);
            max = Math.max(max, s[j]);
          }
          double den = 0;
          for (int j = 0; j < n; j++) den += s[j] = Math.exp(s[j] - max);
          for (int c = 0; c < hd; c++) {
            double num = 0;
            for (int j = 0; j < n; j++) num += s[j] * val[(bi * n + j) * dv + h * hd + c];
            ctx[(bi * n + i) * dv + h * hd + c] = num / den;
          }
        }
      }
    }
    double[] attn = Reference.linear(ctx, dv, get(prefix + "/self_attn/out_proj/kernel"), dv,
        get(prefix + "/self_attn/out_proj/bias"));
    double[] h1 = new double[x.length];
    for (int i = 0; i < x.length; i++) h1[i] = x[i] + attn[i];
    double[] m = Reference.layerNorm(h1, dv, get(prefix + "/layer_norm2/gamma"), get(prefix + "/layer_norm2/beta"),
        v.layerNormEps());
    int inter = v.intermediateSize();
    double[] f = Reference.linear(m, dv, get(prefix + "/mlp/fc1/kernel"), inter, get(prefix + "/mlp/fc1/bias"));
    for (int i = 0; i < f.length; i++) f[i] = act(f[i]);
    double[] f2 = Reference.linear(f, inter, get(prefix + "/mlp/fc2/kernel"), dv, get(prefix + "/mlp/fc2/bias"));
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) out[i] = h1[i] + f2[i];
    return out;
  }

  /** CLIP's {@code quick_gelu}, SigLIP's {@code gelu_pytorch_tanh}. */
  private double act(double x) {
    return switch (v.hiddenAct()) {
      case "quick_gelu" -> x / (1 + Math.exp(-1.702 * x));
      case "gelu_pytorch_tanh" -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
      default -> throw new IllegalArgumentException(v.hiddenAct());
    };
  }
}
