package org.moellava.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ParameterCountTest {
  /**
   * The LLM counts of the published shapes against the MoE-LLaVA paper (arXiv 2401.15947, the model table: StableLM
   * 2.9 B total / 2.0 B activated, Qwen 3.1 B / 2.2 B, Phi-2 5.3 B / 3.6 B). The paper's "LLM" is the decoder with its
   * embeddings and lm_head, without the vision tower and projector (counting those too gives 3.2 / 3.4 / 5.6 B, which
   * the paper does not print). The paper prints one decimal; StableLM's activated count is 2.06 B, which the paper
   * prints as 2.0 (truncated rather than rounded), so the bound is 0.06 B.
   */
  @Test
  void publishedMoeLlavaShapesMatchThePaper() {
    assertPaper(Presets.MOE_LLAVA_STABLELM_1_6B_4E, 2.9e9, 2.0e9);
    assertPaper(Presets.MOE_LLAVA_QWEN_1_8B_4E, 3.1e9, 2.2e9);
    assertPaper(Presets.MOE_LLAVA_PHI2_2_7B_4E, 5.3e9, 3.6e9);
    assertPaper(Presets.MOE_LLAVA_PHI2_2_7B_4E_384, 5.3e9, 3.6e9); // the same LLM: only the tower differs
  }

  private static void assertPaper(String preset, double total, double activated) {
    ParameterCount pc = ParameterCount.of(Presets.get(preset));
    assertEquals(total, pc.llmTotal(), 0.06e9, preset + " total " + pc.llmTotal());
    assertEquals(activated, pc.llmActivated(), 0.06e9, preset + " activated " + pc.llmActivated());
  }

  /**
   * The dense decoders of the presets (MoE layers none) have the base LLMs' published parameter counts, as the hub's
   * safetensors metadata states them: stabilityai/stablelm-2-1_6b 1,644,515,328; Qwen1.5-1.8B (Qwen-1.8B's shape)
   * 1,836,828,672; microsoft/phi-2 2,779,683,840, which includes Phi-2's lm_head bias (51,200) that MoE-LLaVA's class
   * does not have.
   */
  @Test
  void denseBaseModelsMatchTheirPublishedCounts() {
    assertEquals(1_644_515_328L, denseLlm(Presets.MOE_LLAVA_STABLELM_1_6B_4E));
    assertEquals(1_836_828_672L, denseLlm(Presets.MOE_LLAVA_QWEN_1_8B_4E));
    assertEquals(2_779_683_840L - 51_200L, denseLlm(Presets.MOE_LLAVA_PHI2_2_7B_4E));
  }

  private static long denseLlm(String preset) {
    ModelConfig c = Presets.get(preset);
    return ParameterCount.of(c.withTextConfig(c.textConfig().withMoeLayers(MoeLayers.of(MoeLayers.Mode.NONE))))
        .llmTotal();
  }

  @Test
  void countsByHandOnASmallDecoder() {
    // D=8, V=10, L=2 (layer 0 MoE), heads 2, kv 1 (hd 4), FFN 6, expert FFN 5, E=4, k=2, untied.
    TextConfig t = new TextConfig(10, 8, 6, 5, 2, 2, 1, 32, 1e4, 1e-6, "silu", false, 4, 2, true,
        MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    ModelConfig base = Presets.get(Presets.TINY);
    ParameterCount pc = ParameterCount.of(base.withTextConfig(t));
    long attentionPerLayer = (8 * 8 + 8) + 2 * (8 * 4 + 4) + 8 * 8; // q, k+v (one kv head), o
    assertEquals(2 * attentionPerLayer, pc.total().get("attention"));
    assertEquals(3 * 8 * 6, pc.total().get("ffn")); // only layer 1 is dense
    assertEquals(4 * 3 * 8 * 5, pc.total().get("experts"));
    assertEquals(2 * 3 * 8 * 5, pc.activated().get("experts"));
    assertEquals(4 * 8, pc.total().get("routers"));
    assertEquals(80, pc.total().get("embeddings"));
    assertEquals(80, pc.total().get("lm_head"));
    assertEquals(5 * 8, pc.total().get("norms"));
    assertEquals(pc.llmTotal() - 2 * 3 * 8 * 5, pc.llmActivated());
  }

  /** D=16, V=10, L=2 (layer 0 MoE), 2 heads of 8, FFN and expert FFN 6, E=4, k=2, untied; in the given style. */
  private static ParameterCount countOf(DecoderStyle style, int kvHeads, DecoderArchitecture arch) {
    TextConfig t = new TextConfig(10, 16, 6, 6, 2, 2, kvHeads, 32, 1e4, 1e-5, "silu", false, 4, 2, true,
        MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1).withStyle(style);
    if (arch != null) t = t.withArchitecture(arch);
    ModelConfig config = ConfigValidator.validate(Presets.get(Presets.TINY).withTextConfig(t), "test");
    return ParameterCount.of(config);
  }

  @Test
  void countsByHandForStableLm() {
    // LayerNorm with bias, q/k/v biases, no o bias, SwiGLU without biases; rope_pct 0.25 of hd 8 = 2 dims
    ParameterCount pc = countOf(DecoderStyle.STABLELM, 1, null);
    long attentionPerLayer = (16 * 16 + 16) + 2 * (16 * 8 + 8) + 16 * 16;
    assertEquals(2 * attentionPerLayer, pc.total().get("attention"));
    assertEquals((2 * 2 + 1) * (16 + 16), pc.total().get("norms")); // gamma and beta, 2 per layer + final
    assertEquals(3 * 16 * 6, pc.total().get("ffn"));
    assertEquals(4 * 3 * 16 * 6, pc.total().get("experts"));
    assertEquals(2 * 3 * 16 * 6, pc.activated().get("experts"));
    assertEquals(4 * 16, pc.total().get("routers"));
    assertEquals(160, pc.total().get("lm_head"));
    assertEquals(800 * 2 + 160 + 288 + 1152 + 64 + 160 + 160, pc.llmTotal());

    ParameterCount noQkvBias = countOf(DecoderStyle.STABLELM, 1,
        DecoderStyle.STABLELM.defaults().withQkvBias(false));
    assertEquals(2 * (16 + 8 + 8), pc.llmTotal() - noQkvBias.llmTotal()); // StableLM-3B has none
  }

  @Test
  void countsByHandForPhi() {
    // one LayerNorm per layer (parallel residual), biases on q/k/v and dense, fc1/fc2 with biases, lm_head bias
    ParameterCount pc = countOf(DecoderStyle.PHI, 1,
        DecoderStyle.PHI.defaults().withPartialRotaryFactor(0.5).withLmHeadBias(true));
    long attentionPerLayer = (16 * 16 + 16) + 2 * (16 * 8 + 8) + (16 * 16 + 16);
    assertEquals(2 * attentionPerLayer, pc.total().get("attention"));
    assertEquals((2 + 1) * (16 + 16), pc.total().get("norms"));
    long fc = (16 * 6 + 6) + (6 * 16 + 16);
    assertEquals(fc, pc.total().get("ffn"));
    assertEquals(4 * fc, pc.total().get("experts"));
    assertEquals(2 * fc, pc.activated().get("experts"));
    assertEquals(160 + 10, pc.total().get("lm_head"));
    assertEquals(2 * attentionPerLayer + 96 + 214 + 856 + 64 + 160 + 170, pc.llmTotal());
    assertEquals(pc.llmTotal() - 2 * fc, pc.llmActivated());
  }

  @Test
  void countsByHandForQwen() {
    // c_attn = q, k, v with biases (no GQA), c_proj without bias, RMSNorm, w1/w2/c_proj without biases
    ParameterCount pc = countOf(DecoderStyle.QWEN, 2, null);
    long attentionPerLayer = 3 * (16 * 16 + 16) + 16 * 16;
    assertEquals(2 * attentionPerLayer, pc.total().get("attention"));
    assertEquals(5 * 16, pc.total().get("norms"));
    assertEquals(3 * 16 * 6, pc.total().get("ffn"));
    assertEquals(4 * 3 * 16 * 6, pc.total().get("experts"));
    assertEquals(160, pc.total().get("lm_head"));
    assertEquals(2144 + 80 + 288 + 1152 + 64 + 160 + 160, pc.llmTotal());
  }

  @Test
  void defaultStyleCountsAsBefore() {
    // the qwen2_moe count of countsByHandOnASmallDecoder's config, through the style
    ParameterCount pc = countOf(DecoderStyle.QWEN2_MOE, 1, null);
    assertEquals(2 * ((16 * 16 + 16) + 2 * (16 * 8 + 8) + 16 * 16), pc.total().get("attention"));
    assertEquals(5 * 16, pc.total().get("norms"));
  }

  @Test
  void smallPresetIsBenchmarkScale() {
    long total = ParameterCount.of(Presets.get(Presets.SMALL)).grandTotal();
    assertTrue(total >= 50_000_000L && total <= 150_000_000L, "small has " + total);
  }

  /**
   * SigLIP-so400m-patch14-384 (MoE-LLaVA's -384 tower), counted by hand as transformers' SiglipVisionModel holds it:
   * patch conv 3·14·14·1152 + bias 1152; positions 729·1152 (no class token, no pre-LayerNorm); 27 layers of
   * q/k/v/out 4·(1152² + 1152), two LayerNorms 2·2304, MLP 1152·4304 + 4304 + 4304·1152 + 1152; post_layernorm 2304;
   * the attention-pooling head: probe 1152, in_proj 3·1152² + 3·1152, out_proj 1152² + 1152, LayerNorm 2304, MLP.
   */
  @Test
  void siglipSo400mTowerCountedByHand() {
    ModelConfig base = Presets.get(Presets.TINY);
    VisionConfig v = new VisionConfig(1152, 4304, 27, 16, 3, 384, 14, 1e-6, "gelu_pytorch_tanh", VisionStyle.SIGLIP);
    ParameterCount pc = ParameterCount.of(new ModelConfig("llava", base.imageTokenIndex(), -2, "gelu", v,
        base.textConfig(), VisionStyle.SIGLIP.imageMean(), VisionStyle.SIGLIP.imageStd(), "pad", base.training()));
    long d = 1152;
    long mlp = d * 4304 + 4304 + 4304 * d + d;
    long layer = 4 * (d * d + d) + 2 * 2 * d + mlp;
    long head = d + 3 * d * d + 3 * d + d * d + d + 2 * d + mlp;
    long expected = 3 * 14 * 14 * d + d + 729 * d + 27 * layer + 2 * d + head;
    assertEquals(428_225_600L, expected, "the hand count itself");
    assertEquals(expected, pc.total().get("vision"));
    assertEquals(728, v.numPatches(), "image tokens: 729 patches without the first");
    ModelConfig preset = Presets.get(Presets.MOE_LLAVA_PHI2_2_7B_4E_384);
    assertEquals(expected, ParameterCount.of(preset).total().get("vision"), "the -384 preset's tower");
    assertEquals(728, preset.visionConfig().numPatches());
    assertEquals(VisionStyle.SIGLIP.imageMean(), preset.imageMean());
  }
}
