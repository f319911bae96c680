package org.moellava.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.VisionConfig;
import org.moellava.config.VisionStyle;
import org.moellava.error.ConfigException;

/** The synthetic vision pretraining builds CLIP towers; a SigLIP tower is refused with a one-line error. */
class VisionPretrainStyleTest {
  @Test
  void aSiglipTowerIsRefusedByName() {
    ModelConfig clip = TrainTestConfigs.micro(1, 0);
    VisionConfig v = clip.visionConfig();
    ModelConfig siglip = ConfigValidator.validate(new ModelConfig("llava", clip.imageTokenIndex(),
        clip.visionFeatureLayer(), "gelu", new VisionConfig(v.hiddenSize(), v.intermediateSize(), v.numHiddenLayers(),
        v.numAttentionHeads(), 3, v.imageSize(), v.patchSize(), 1e-6, "gelu_pytorch_tanh", VisionStyle.SIGLIP),
        clip.textConfig(), VisionStyle.SIGLIP.imageMean(), VisionStyle.SIGLIP.imageStd(), "pad", clip.training(),
        clip.systemPrompt()), "siglip");
    ConfigException e = assertThrows(ConfigException.class, () -> VisionPretrainGraph.build(siglip));
    assertTrue(e.getMessage().startsWith("vision_config.vision_style:") && e.getMessage().contains("\"siglip\"")
        && !e.getMessage().contains("\n"), e.getMessage());
    try (VisionPretrainGraph g = VisionPretrainGraph.build(clip)) {
      assertTrue(g.graph() != null);
    }
  }
}
