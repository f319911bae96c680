package org.moellava.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ParameterCountTest {
  @Test
  void publishedMoeLlavaQwenShapeMatchesThePaper() {
    ParameterCount pc = ParameterCount.of(Presets.get(Presets.MOE_LLAVA_QWEN_1_8B_4E));
    // The paper reports the LLM at about 3.1 B total and 2.2 B activated parameters.
    assertEquals(3.1e9, pc.llmTotal(), 0.02 * 3.1e9, "total " + pc.llmTotal());
    assertEquals(2.2e9, pc.llmActivated(), 0.02 * 2.2e9, "activated " + pc.llmActivated());
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

  @Test
  void smallPresetIsBenchmarkScale() {
    long total = ParameterCount.of(Presets.get(Presets.SMALL)).grandTotal();
    assertTrue(total >= 50_000_000L && total <= 150_000_000L, "small has " + total);
  }
}
