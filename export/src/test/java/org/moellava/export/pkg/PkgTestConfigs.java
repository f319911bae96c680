package org.moellava.export.pkg;

import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;

/** Very small model configs so package tests run in seconds. */
final class PkgTestConfigs {
  private PkgTestConfigs() {}

  /** CLIP 2 layers D16 on 8x8 (P=4); text V40 D16, 3 layers (MoE 0 and 2), GQA 4:2, E=4 k=2, 256 positions. */
  static ModelConfig micro() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(40, 16, 24, 24, 3, 4, 2, 256, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text, tiny.imageMean(),
        tiny.imageStd(), "pad", tiny.training(), tiny.systemPrompt()), "test micro");
  }

  /**
   * {@link #micro} with every linear's K a multiple of 128, so that each block size quantizes it: CLIP 4 layers D128
   * (the graph computes layers 0..2: 0 and 2 stay fp32, layer 1 is quantized) on 16x16 (P=16); text
   * V64 D128 I256, 3 layers (MoE 0 and 2), GQA 4:2, E=4 k=2.
   */
  static ModelConfig quantMicro() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(128, 256, 4, 4, 3, 16, 4, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(64, 128, 256, 256, 3, 4, 2, 256, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text, tiny.imageMean(),
        tiny.imageStd(), "pad", tiny.training(), tiny.systemPrompt()), "test quant micro");
  }

  /**
   * The micro model in the decoder family {@code style}: text D40, 4 heads of 10 (GQA 4:2, none for qwen), FFN 48;
   * stablelm rotates 2 of 10 dims, phi 4 of 10 with an lm_head bias.
   */
  static ModelConfig micro(org.moellava.config.DecoderStyle style) {
    ModelConfig base = micro();
    int kv = style == org.moellava.config.DecoderStyle.QWEN ? 4 : 2;
    TextConfig text = new TextConfig(40, 40, 48, 48, 3, 4, kv, 256, 10000.0, 1e-5, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1).withStyle(style);
    if (style == org.moellava.config.DecoderStyle.PHI) {
      text = text.withArchitecture(text.architecture().withLmHeadBias(true));
    }
    return ConfigValidator.validate(base.withTextConfig(text), "test micro " + style);
  }
}
