package org.moellava.train;

import java.nio.file.Path;
import java.util.Map;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.ModelConfigIO;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.StageConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.TrainingConfig;
import org.moellava.config.VisionConfig;
import org.moellava.tensor.TensorValue;

/** A model small enough that a training test runs in seconds, on the synthetic world's vocabulary. */
final class TrainTestConfigs {
  private TrainTestConfigs() {}

  /** CLIP 2 layers D16 on 16x16 (P=4); text V128 D16, 2 layers (MoE layer 0), E=4 k=2; batch 4. */
  static ModelConfig micro(int steps, int checkpointEvery) {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 16, 8, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(128, 16, 24, 24, 2, 4, 2, 128, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    StageConfig stage = new StageConfig(3e-3, 4, steps, 0.1, 0.01, 1.0, 1, checkpointEvery);
    StageConfig accumulating = new StageConfig(3e-3, 2, steps, 0.1, 0.0, 1.0, 2, checkpointEvery);
    TrainingConfig training = new TrainingConfig(7, stage, stage, accumulating, stage, 2);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text, tiny.imageMean(),
        tiny.imageStd(), "pad", training, tiny.systemPrompt()), "train test micro");
  }

  /** Writes {@code config} to {@code file} and returns the path as a --config argument. */
  static String write(ModelConfig config, Path file) {
    ModelConfigIO.write(config, file);
    return file.toString();
  }

  /** Options for an in-process run. */
  static TrainingRun.Options options(ModelConfig config, String stage, Path out, int maxSteps, boolean resume,
      Path init) {
    return new TrainingRun.Options(config, stage, "synth", out, maxSteps, resume, init, 1);
  }

  /** Every variable of a checkpoint. */
  static Map<String, TensorValue> read(Path checkpoint) {
    return CheckpointReader.open(checkpoint).readVariables();
  }
}
