package org.moellava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;

class TrainingMemoryTest {
  /**
   * Stage III of MoE-LLaVA-StableLM-1.6B×4 by hand: 3,200,124,928 parameters (4 B each, twice); trained: projector
   * 1024·2048 + 2048 + 2048·2048 + 2048 = 6,295,552, dense FFNs 12·3·2048·5632 = 415,236,096, experts 4 times that
   * (1,660,944,384), routers 12·4·2048 = 98,304, at 12 B each (gradient, m, v; no accumulation).
   */
  @Test
  void stableLmStageThreeByHand() {
    ModelConfig c = Presets.get(Presets.MOE_LLAVA_STABLELM_1_6B_4E);
    TrainingMemory m = TrainingMemory.estimate(Stage.STAGE3, Stage.STAGE3.modelConfig(c), Stage.STAGE3.settings(c.training()));
    assertEquals(4L * 3_200_124_928L, m.weights());
    long trained = 6_295_552L + 415_236_096L + 1_660_944_384L + 98_304L;
    assertEquals(trained, m.trainedParameters());
    assertEquals(2 * 4L * 3_200_124_928L + 12 * trained, m.fixed());
    // S = 576 + 128 = 704: per layer 2·704·2048·(34 + 5·32·704/2048), 24 layers, plus 3·704·100352·4 for the logits
    double perLayer = 2.0 * 704 * 2048 * (34 + 5.0 * 32 * 704 / 2048);
    assertEquals((long) (24 * perLayer) + 3L * 704 * 100352 * 4, m.perSample());
    assertEquals(704, m.sequence());
    assertEquals(0, m.largestBatch(24L << 30), "the weights and AdamW state alone exceed 24 GiB");
  }

  @Test
  void tinyModelFitsLargeBatches() {
    ModelConfig c = Presets.get(Presets.TINY);
    TrainingMemory m = TrainingMemory.estimate(Stage.STAGE3, Stage.STAGE3.modelConfig(c), Stage.STAGE3.settings(c.training()));
    assertTrue(m.largestBatch(8L << 30) > 16, "tiny: " + m.largestBatch(8L << 30));
    assertEquals((long) m.fixed() + 3 * m.perSample(), m.total(3));
    assertEquals(256L << 20, TrainingMemory.margin(m.total(16)), "a small model keeps a small margin");
    assertEquals(2L << 30, TrainingMemory.margin(40L << 30));
    assertEquals(1L << 30, TrainingMemory.margin(4L << 30));
  }
}
