package org.moellava.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.moellava.error.ConfigException;

/** The built-in model presets. Every preset passes {@link ConfigValidator}. */
public final class Presets {
  /** The built-in demo model: trains through every stage on a 2-core machine in minutes. */
  public static final String TINY = "tiny";
  /** Benchmark scale, about 50-150 M parameters. */
  public static final String SMALL = "small";
  /** The published MoE-LLaVA-Qwen-1.8B×4 shape (CLIP ViT-L/14-336 + Qwen-1.8B, E=4, k=2). */
  public static final String MOE_LLAVA_QWEN_1_8B_4E = "moe-llava-qwen-1.8b-4e";

  private static final Map<String, Supplier<ModelConfig>> PRESETS = new LinkedHashMap<>();

  static {
    PRESETS.put(TINY, Presets::tiny);
    PRESETS.put(SMALL, Presets::small);
    PRESETS.put(MOE_LLAVA_QWEN_1_8B_4E, Presets::moeLlavaQwen18b4e);
  }

  private Presets() {}

  /** The preset names, in a stable order. */
  public static Iterable<String> names() {
    return PRESETS.keySet();
  }

  /** Whether {@code name} is a preset name. */
  public static boolean isPreset(String name) {
    return PRESETS.containsKey(name);
  }

  /** The preset called {@code name}. */
  public static ModelConfig get(String name) {
    Supplier<ModelConfig> preset = PRESETS.get(name);
    if (preset == null) {
      throw new ConfigException("unknown preset '" + name + "' (presets: " + String.join(", ", PRESETS.keySet()) + ")");
    }
    return ConfigValidator.validate(preset.get(), "preset " + name);
  }

  /** A preset name or a path to a {@code config.json}. */
  public static ModelConfig resolve(String presetOrFile) {
    return isPreset(presetOrFile) ? get(presetOrFile) : ModelConfigIO.read(Path.of(presetOrFile));
  }

  private static StageConfig stage(double lr, int batch, int steps) {
    return new StageConfig(lr, batch, steps, 0.03, 0.0, 1.0, 1, 0);
  }

  /** The system prompt of the synthetic world, which the {@code tiny} demo model is trained with. */
  public static final String SYNTHETIC_SYSTEM_PROMPT = "a chat about shapes and colours.";

  private static ModelConfig tiny() {
    VisionConfig vision = new VisionConfig(96, 384, 3, 4, 3, 64, 8, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(128, 128, 256, 256, 4, 4, 2, 256, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    TrainingConfig training = new TrainingConfig(42,
        stage(2e-3, 32, 1000),
        stage(2e-3, 16, 150),
        stage(1e-3, 16, 2500),
        stage(1e-3, 16, 500), // stage III at the stage-II learning rate, as the paper trains both (2e-5 there)
        3);
    return new ModelConfig("llava", 2, -2, "gelu", vision, text, ModelConfig.CLIP_MEAN, ModelConfig.CLIP_STD,
        "pad", training, SYNTHETIC_SYSTEM_PROMPT);
  }

  private static ModelConfig small() {
    VisionConfig vision = new VisionConfig(384, 1536, 6, 6, 3, 224, 16, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(32000, 512, 1408, 1408, 8, 8, 4, 2048, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    TrainingConfig training = new TrainingConfig(42,
        stage(5e-4, 8, 1000), stage(1e-3, 8, 1000), stage(2e-4, 8, 2000), stage(1e-4, 8, 1000), 3);
    return new ModelConfig("llava", 2, -2, "gelu", vision, text, ModelConfig.CLIP_MEAN, ModelConfig.CLIP_STD,
        "pad", training);
  }

  private static ModelConfig moeLlavaQwen18b4e() {
    VisionConfig vision = new VisionConfig(1024, 4096, 24, 16, 3, 336, 14, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(151936, 2048, 5504, 5504, 24, 16, 16, 8192, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 151643, 151643);
    TrainingConfig training = new TrainingConfig(42,
        stage(1e-3, 32, 0), stage(1e-3, 32, 2000), stage(2e-5, 16, 10000), stage(2e-5, 16, 10000), 3);
    return new ModelConfig("llava", 151646, -2, "gelu", vision, text, ModelConfig.CLIP_MEAN, ModelConfig.CLIP_STD,
        "pad", training);
  }
}
