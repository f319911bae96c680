package org.moellava.runtime.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableSpec;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.runtime.Tensors;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;

/** A micro model, seeded weights and inputs for the TensorFlow backend's tests (as graph-builder's tests use). */
final class TfTestModels {
  private TfTestModels() {}

  /** CLIP 2 layers D16 on 8x8 (P=4); text V40 D16, 3 layers (MoE 0 and 2), GQA 4:2, E=4 k=2. */
  static ModelConfig micro() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(40, 16, 24, 24, 3, 4, 2, 64, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text, tiny.imageMean(),
        tiny.imageStd(), "pad", tiny.training()), "test micro");
  }

  /**
   * The micro model in the decoder family {@code style}: text V40 D40, 3 layers (MoE 0 and 2), 4 heads of 10 (GQA
   * 4:2, none for qwen), FFN 48, E=4 k=2; partial rotary for stablelm (2 of 10 dims) and phi (4 of 10), phi's
   * lm_head with a bias.
   */
  static ModelConfig micro(org.moellava.config.DecoderStyle style) {
    ModelConfig base = micro();
    int kv = style == org.moellava.config.DecoderStyle.QWEN ? 4 : 2;
    TextConfig text = new TextConfig(40, 40, 48, 48, 3, 4, kv, 64, 10000.0, 1e-5, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1).withStyle(style);
    if (style == org.moellava.config.DecoderStyle.PHI) {
      text = text.withArchitecture(text.architecture().withLmHeadBias(true));
    }
    return ConfigValidator.validate(base.withTextConfig(text), "test micro " + style);
  }

  /** {@link #weights} with biases and norm offsets from N(0, 0.1) and norm gains from 1 + N(0, 0.1). */
  static Map<String, TensorValue> perturbedWeights(ModelConfig config, long seed, float scale) {
    Map<String, TensorValue> out = weights(config, seed, scale);
    Random random = new Random(seed * 31 + 7);
    for (VariableSpec spec : ModelVariableSpecs.all(config)) {
      if (spec.init() == VariableSpec.Init.NORMAL) continue;
      float[] d = out.get(spec.name()).data().clone();
      for (int i = 0; i < d.length; i++) d[i] += (float) (random.nextGaussian() * 0.1);
      out.put(spec.name(), new TensorValue(spec.shape(), d));
    }
    return out;
  }

  /** The same model without MoE layers (stage II). */
  static ModelConfig dense(ModelConfig config) {
    return config.withTextConfig(config.textConfig().withMoeLayers(MoeLayers.of(MoeLayers.Mode.NONE)));
  }

  /** Seeded weights with the Normal(0.02) entries scaled by {@code scale}, so the micro model's signals are large. */
  static Map<String, TensorValue> weights(ModelConfig config, long seed, float scale) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    for (Map.Entry<String, TensorValue> e : WeightInitializer.randomWeights(config, seed).entrySet()) {
      float[] d = e.getValue().data().clone();
      boolean normal = ModelVariableSpecs.all(config).stream()
          .anyMatch(s -> s.name().equals(e.getKey()) && s.init() == VariableSpec.Init.NORMAL);
      if (normal) for (int i = 0; i < d.length; i++) d[i] *= scale;
      out.put(e.getKey(), new TensorValue(e.getValue().shape(), d));
    }
    return out;
  }

  static TensorValue pixels(ModelConfig config, int batch, Random random) {
    int size = config.visionConfig().imageSize();
    float[] d = new float[batch * 3 * size * size];
    for (int i = 0; i < d.length; i++) d[i] = (float) random.nextGaussian();
    return new TensorValue(new long[] {batch, 3, size, size}, d);
  }

  /** Ids in [3, V) (never the image token) with the P image tokens at positions [imageStart, imageStart+P). */
  static int[] ids(ModelConfig config, int batch, int seq, int imageStart, Random random) {
    int p = config.visionConfig().numPatches();
    int[] ids = new int[batch * seq];
    for (int b = 0; b < batch; b++) {
      for (int s = 0; s < seq; s++) {
        int id = 3 + random.nextInt(config.textConfig().vocabSize() - 3);
        if (imageStart >= 0 && s >= imageStart && s < imageStart + p) id = config.imageTokenIndex();
        ids[b * seq + s] = id;
      }
    }
    return ids;
  }

  /** HF generate's positions: {@code cumsum(mask) - 1}, 1 where masked. */
  static int[] positions(int[] mask, int batch, int seq) {
    int[] pos = new int[mask.length];
    for (int b = 0; b < batch; b++) {
      int c = 0;
      for (int s = 0; s < seq; s++) {
        c += mask[b * seq + s];
        pos[b * seq + s] = mask[b * seq + s] == 0 ? 1 : c - 1;
      }
    }
    return pos;
  }

  /** Columns [from, to) of a [B, S, ...] tensor. */
  static TensorValue sliceSeq(TensorValue t, int from, int to) {
    long[] s = t.shape().clone();
    int inner = 1;
    for (int i = 2; i < s.length; i++) inner *= (int) s[i];
    int seq = (int) s[1];
    float[] out = new float[(int) s[0] * (to - from) * inner];
    for (int b = 0; b < s[0]; b++) {
      System.arraycopy(t.data(), (b * seq + from) * inner, out, b * (to - from) * inner, (to - from) * inner);
    }
    s[1] = to - from;
    return new TensorValue(s, out);
  }

  static IntTensorValue sliceSeq(int[] data, int batch, int seq, int from, int to) {
    int[] out = new int[batch * (to - from)];
    for (int b = 0; b < batch; b++) System.arraycopy(data, b * seq + from, out, b * (to - from), to - from);
    return IntTensorValue.matrix(batch, to - from, out);
  }

  /** Vision, embed and one decoder pass from an empty cache over {@code [b, s]} inputs. */
  static Tensors.Decoded forward(TfBackend r, TensorValue pixels, int[] ids, int[] mask, int[] pos, int b,
      int s) {
    TensorValue features = Tensors.imageFeatures(r, pixels);
    TensorValue embeds = Tensors.embed(r, IntTensorValue.matrix(b, s, ids), features);
    return Tensors.decode(r, embeds, IntTensorValue.matrix(b, s, mask), IntTensorValue.matrix(b, s, pos),
        Tensors.KvCache.empty(r.info(), b));
  }

  /** Logits of {@code part} (positions {@code from..to}) equal {@code full}'s at every unmasked position (1e-5). */
  static void compareRealPositions(TensorValue full, TensorValue part, int[] mask, int b, int s, int from,
      int to, int v) {
    int len = to - from;
    for (int row = 0; row < b; row++) {
      for (int t = from; t < to; t++) {
        if (mask[row * s + t] == 0) continue;
        for (int j = 0; j < v; j++) {
          float expected = full.data()[(row * s + t) * v + j];
          float actual = part.data()[(row * len + t - from) * v + j];
          assertEquals(expected, actual, 1e-5 * Math.max(1, Math.abs(expected)),
              "logits row " + row + " position " + t + " token " + j);
        }
      }
    }
  }
}
