package org.moellava.graph;

import org.moellava.config.ConfigValidator;
import org.moellava.config.DecoderStyle;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.config.VisionStyle;

/** Very small model configs so test classes run in seconds. */
final class TestConfigs {
  private TestConfigs() {}

  /** CLIP 2 layers D16 on 8x8 (P=4); text V40 D16, 3 layers (MoE 0 and 2), GQA 4:2, E=4 k=2. */
  static ModelConfig micro() {
    return micro(4, 2, 24);
  }

  static ModelConfig micro(int experts, int topK, int moeIntermediate) {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(40, 16, 24, moeIntermediate, 3, 4, 2, 64, 10000.0, 1e-6, "silu", false,
        experts, topK, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text, tiny.imageMean(),
        tiny.imageStd(), "pad", tiny.training()), "test micro");
  }

  /**
   * A micro model of the decoder family {@code style}: CLIP as {@link #micro()}; text V40 D40, 3 layers (MoE 0 and
   * 2), 4 heads of 10 (GQA 4:2, none for qwen), FFN 48, E=4 k=2. Head dim 10 makes the rotary partial in earnest:
   * stablelm rotates int(10 x 0.25) = 2 dims, phi int(10 x 0.4) = 4; phi's lm_head has a bias here.
   */
  static ModelConfig micro(DecoderStyle style) {
    ModelConfig base = micro();
    int kv = style == DecoderStyle.QWEN ? 4 : 2;
    TextConfig text = new TextConfig(40, 40, 48, 48, 3, 4, kv, 64, 10000.0, 1e-5, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1).withStyle(style);
    if (style == DecoderStyle.PHI) text = text.withArchitecture(text.architecture().withLmHeadBias(true));
    return ConfigValidator.validate(base.withTextConfig(text), "test micro " + style);
  }

  /**
   * A micro model with a vision tower of {@code style}: CLIP as {@link #micro()}; SigLIP the same sizes (2 layers,
   * D16, 2 heads, 8x8 pixels, patch 4: 4 patches, P = 3) with {@code gelu_pytorch_tanh} and eps 1e-6.
   */
  static ModelConfig micro(VisionStyle style) {
    ModelConfig base = micro();
    if (style == VisionStyle.CLIP) return base;
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-6, "gelu_pytorch_tanh", VisionStyle.SIGLIP);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, base.textConfig(),
        VisionStyle.SIGLIP.imageMean(), VisionStyle.SIGLIP.imageStd(), "pad", base.training()), "test micro siglip");
  }

  /**
   * The SigLIP micro model on 11-pixel images with patch 4: not a multiple, as so400m-patch14-384 is not (384 = 27 *
   * 14 + 6); the convolution ignores the last 3 pixel rows and columns.
   */
  static ModelConfig microSiglipRemainder() {
    ModelConfig base = micro();
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 11, 4, 1e-6, "gelu_pytorch_tanh", VisionStyle.SIGLIP);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, base.textConfig(),
        VisionStyle.SIGLIP.imageMean(), VisionStyle.SIGLIP.imageStd(), "pad", base.training()),
        "test micro siglip remainder");
  }

  /** The same model with Gumbel noise on the second router choice in training. */
  static ModelConfig withGumbelNoise(ModelConfig c) {
    TextConfig t = c.textConfig();
    return c.withTextConfig(new TextConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize(),
        t.moeIntermediateSize(), t.numHiddenLayers(), t.numAttentionHeads(), t.numKeyValueHeads(),
        t.maxPositionEmbeddings(), t.ropeTheta(), t.rmsNormEps(), t.hiddenAct(), t.tieWordEmbeddings(), t.numExperts(),
        t.numExpertsPerTok(), t.normTopkProb(), t.moeLayers(), t.capacityFactor(), t.evalCapacityFactor(),
        t.routerAuxLossCoef(), true, t.padTokenId(), t.eosTokenId()));
  }

  /** The same model without MoE layers (stage II). */
  static ModelConfig dense(ModelConfig config) {
    return config.withTextConfig(config.textConfig().withMoeLayers(MoeLayers.of(MoeLayers.Mode.NONE)));
  }
}
