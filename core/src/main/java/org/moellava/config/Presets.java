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
  /** The published MoE-LLaVA-StableLM-1.6B×4 shape (CLIP ViT-L/14-336 + StableLM-2-1.6B, E=4, k=2). */
  public static final String MOE_LLAVA_STABLELM_1_6B_4E = "moe-llava-stablelm-1.6b-4e";
  /** The published MoE-LLaVA-Qwen-1.8B×4 shape (CLIP ViT-L/14-336 + Qwen-1.8B, Qwen-1 style, E=4, k=2). */
  public static final String MOE_LLAVA_QWEN_1_8B_4E = "moe-llava-qwen-1.8b-4e";
  /** The published MoE-LLaVA-Phi2-2.7B×4 shape (CLIP ViT-L/14-336 + Phi-2, E=4, k=2). */
  public static final String MOE_LLAVA_PHI2_2_7B_4E = "moe-llava-phi2-2.7b-4e";
  /** The published MoE-LLaVA-Phi2-2.7B×4-384 shape: the Phi-2 one with a SigLIP-so400m-patch14-384 tower. */
  public static final String MOE_LLAVA_PHI2_2_7B_4E_384 = "moe-llava-phi2-2.7b-4e-384";

  private static final Map<String, Supplier<ModelConfig>> PRESETS = new LinkedHashMap<>();

  static {
    PRESETS.put(TINY, Presets::tiny);
    PRESETS.put(SMALL, Presets::small);
    PRESETS.put(MOE_LLAVA_STABLELM_1_6B_4E, Presets::moeLlavaStableLm16b4e);
    PRESETS.put(MOE_LLAVA_QWEN_1_8B_4E, Presets::moeLlavaQwen18b4e);
    PRESETS.put(MOE_LLAVA_PHI2_2_7B_4E, Presets::moeLlavaPhi227b4e);
    PRESETS.put(MOE_LLAVA_PHI2_2_7B_4E_384, Presets::moeLlavaPhi227b4e384);
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

  /**
   * A published MoE-LLaVA shape: CLIP ViT-L/14-336 (24 layers, 1024 wide, 4096 intermediate, 16 heads, P = 576,
   * features of layer -2), the mlp2x_gelu projector, E = 4 top-2 experts on every other decoder layer (MoE-LLaVA's
   * {@code --moe_mode sparse}: layers 0, 2, 4, ...), DeepSpeed's capacity factors 1.5 / 2.0 and aux loss 0.01, and the
   * image placeholder at {@code vocab_size - 1} as {@code import moellava} maps MoE-LLaVA's -200.
   */
  private static ModelConfig moeLlava(int vocab, int hidden, int intermediate, int layers, int heads, int maxPos,
      double ropeTheta, double eps, String act, int eos, DecoderStyle style, double partialRotary) {
    return moeLlava(vocab, hidden, intermediate, layers, heads, maxPos, ropeTheta, eps, act, eos, style,
        partialRotary, new VisionConfig(1024, 4096, 24, 16, 3, 336, 14, 1e-5, "quick_gelu"));
  }

  /** As above with {@code vision} as the tower (its style's image mean and std). */
  private static ModelConfig moeLlava(int vocab, int hidden, int intermediate, int layers, int heads, int maxPos,
      double ropeTheta, double eps, String act, int eos, DecoderStyle style, double partialRotary,
      VisionConfig vision) {
    DecoderArchitecture arch = style.defaults().withPartialRotaryFactor(partialRotary);
    TextConfig text = new TextConfig(vocab, hidden, intermediate, intermediate, layers, heads, heads, maxPos,
        ropeTheta, eps, act, false, 4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, eos, eos,
        arch);
    TrainingConfig training = new TrainingConfig(42,
        stage(1e-3, 32, 0), stage(1e-3, 32, 2000), stage(2e-5, 16, 10000), stage(2e-5, 16, 10000), 3);
    return new ModelConfig("llava", vocab - 1, -2, "gelu", vision, text, vision.visionStyle().imageMean(),
        vision.visionStyle().imageStd(), "pad", training);
  }

  /**
   * StableLM-2-1.6B ({@code stabilityai/stablelm-2-1_6b} config.json): hidden 2048, 24 layers, 32 heads (no GQA),
   * intermediate 5632, vocab 100352, context 4096, rope_theta 10000, rope_pct 0.25, LayerNorm eps 1e-5, q/k/v biases,
   * untied lm_head, eos {@code <|endoftext|>} 100257.
   */
  private static ModelConfig moeLlavaStableLm16b4e() {
    return moeLlava(100352, 2048, 5632, 24, 32, 4096, 10000.0, 1e-5, "silu", 100257, DecoderStyle.STABLELM, 0.25);
  }

  /**
   * Qwen-1.8B ({@code Qwen/Qwen-1_8B} config.json): hidden 2048, 24 layers, 16 heads, intermediate_size 11008 (the MLP
   * width is half of it, 5504), vocab 151936, seq_length 8192, rotary_emb_base 10000, rotary_pct 1.0,
   * layer_norm_epsilon 1e-6, untied, eos {@code <|endoftext|>} 151643.
   */
  private static ModelConfig moeLlavaQwen18b4e() {
    return moeLlava(151936, 2048, 5504, 24, 16, 8192, 10000.0, 1e-6, "silu", 151643, DecoderStyle.QWEN, 1.0);
  }

  /**
   * Phi-2 ({@code microsoft/phi-2} config.json): hidden 2560, 32 layers, 32 heads, intermediate 10240, vocab 51200,
   * context 2048, rope_theta 10000, partial_rotary_factor 0.4, LayerNorm eps 1e-5, gelu_new, untied, eos 50256; no
   * lm_head bias (MoE-LLaVA's class).
   */
  private static ModelConfig moeLlavaPhi227b4e() {
    return moeLlava(51200, 2560, 10240, 32, 32, 2048, 10000.0, 1e-5, "gelu_new", 50256, DecoderStyle.PHI, 0.4);
  }

  /**
   * MoE-LLaVA-Phi2-2.7B×4-384: the Phi-2 shape with {@code google/siglip-so400m-patch14-384} (hidden 1152,
   * intermediate 4304, 27 layers, 16 heads, patch 14, image 384, LayerNorm eps 1e-6, gelu_pytorch_tanh, image mean
   * and std 0.5; 428,225,600 parameters). MoE-LLaVA drops the first of its 729 patches as if it were a class token,
   * so P = 728.
   */
  private static ModelConfig moeLlavaPhi227b4e384() {
    VisionConfig siglip = new VisionConfig(1152, 4304, 27, 16, 3, 384, 14, 1e-6, "gelu_pytorch_tanh",
        VisionStyle.SIGLIP);
    return moeLlava(51200, 2560, 10240, 32, 32, 2048, 10000.0, 1e-5, "gelu_new", 50256, DecoderStyle.PHI, 0.4,
        siglip);
  }
}
