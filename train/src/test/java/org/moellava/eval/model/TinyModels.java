package org.moellava.eval.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.data.synth.SynthVocabulary;
import org.moellava.tensor.TensorValue;
import org.moellava.graph.variables.WeightInitializer;

/** A very small model with the synthetic world's vocabulary, and random-weight checkpoints of it, for tests. */
public final class TinyModels {
  private TinyModels() {}

  /** CLIP 2 layers D16 on 16x16, patch 8 (P=4); text V128 D32, 3 layers (MoE 0 and 2), GQA 4:2, E=4 k=2. */
  public static ModelConfig config() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 16, 8, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(128, 32, 48, 48, 3, 4, 2, 256, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text, tiny.imageMean(),
        tiny.imageStd(), "pad", tiny.training(), tiny.systemPrompt()), "test tiny");
  }

  /** Seeded random weights, scaled up so that the tiny model's logits are far from ties. */
  public static Map<String, TensorValue> weights(ModelConfig config, long seed, float scale) {
    Map<String, TensorValue> out = new LinkedHashMap<>();
    for (Map.Entry<String, TensorValue> e : WeightInitializer.randomWeights(config, seed).entrySet()) {
      float[] d = e.getValue().data().clone();
      boolean norm = e.getKey().endsWith("/gamma") || e.getKey().endsWith("/beta");
      if (!norm) for (int i = 0; i < d.length; i++) d[i] *= scale;
      out.put(e.getKey(), new TensorValue(e.getValue().shape(), d));
    }
    return out;
  }

  /** Writes a random-weight checkpoint with the synthetic tokenizer to {@code dir}. */
  public static Path checkpoint(Path dir, long seed) throws IOException {
    ModelConfig config = config();
    byte[] tokenizer = SynthVocabulary.tokenizerJson(config.textConfig().vocabSize()).getBytes(StandardCharsets.UTF_8);
    new CheckpointWriter().write(dir, config, tokenizer, weights(config, seed, 10f), TrainingState.imported(seed));
    return dir;
  }
}
