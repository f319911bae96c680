package org.moellava.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.moellava.checkpoint.CheckpointWriter;
import org.moellava.checkpoint.TrainingState;
import org.moellava.config.ConfigValidator;
import org.moellava.config.ModelConfig;
import org.moellava.config.MoeLayers;
import org.moellava.config.Presets;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.image.ImageFiles;
import org.moellava.image.RgbImage;
import org.moellava.io.AtomicFiles;
import org.moellava.tensor.TensorValue;
import org.moellava.text.WordLevelTokenizerJson;

/**
 * A tiny model package with seeded random weights (so its answers are word salad) and a test image, written by the
 * real exporter: CLIP 2 layers D16 on 8x8 images (4 image tokens); decoder V48 D16, 3 layers (MoE 0 and 2), 4
 * experts top-2, 256 positions. The api tests use it, and the heavy build runs {@link #main} to give
 * {@code examples/caption} a package to caption with.
 */
public final class TinyModel {
  /** Special tokens, ids 0..3: the config's pad (0), end-of-sequence (1) and image (2) ids. */
  static final List<String> SPECIAL = List.of("<pad>", "<eos>", "<image>", "<unk>");
  /** Every word of the template, the system prompt and the test questions. */
  static final List<String> WORDS = List.of(".", ",", "?", ":", "USER", "ASSISTANT", "a", "the", "chat", "about",
      "shapes", "and", "colours", "what", "is", "in", "this", "image", "describe", "red", "green", "blue", "circle",
      "square", "triangle", "on", "left", "right", "top", "bottom", "there", "shape", "colour", "yes", "no", "of",
      "small", "large");

  private TinyModel() {}

  /** The config: tiny's preprocessing and system prompt, micro sizes. */
  static ModelConfig config() {
    ModelConfig tiny = Presets.get(Presets.TINY);
    VisionConfig vision = new VisionConfig(16, 32, 2, 2, 3, 8, 4, 1e-5, "quick_gelu");
    TextConfig text = new TextConfig(48, 16, 24, 24, 3, 4, 2, 256, 10000.0, 1e-6, "silu", false,
        4, 2, true, MoeLayers.of(MoeLayers.Mode.SPARSE), 1.5, 2.0, 0.01, false, 0, 1);
    return ConfigValidator.validate(new ModelConfig("llava", 2, -2, "gelu", vision, text, tiny.imageMean(),
        tiny.imageStd(), "pad", tiny.training(), tiny.systemPrompt()), "api tiny model");
  }

  /**
   * Writes {@code dir/pkg} (the package; its checkpoint is deleted) and {@code dir/image.png}.
   *
   * @return the package directory
   */
  static Path write(Path dir, long seed) {
    ModelConfig config = config();
    Map<String, TensorValue> weights = WeightInitializer.randomWeights(config, seed);
    byte[] tokenizer = WordLevelTokenizerJson.build(SPECIAL, "<unk>", WORDS, config.textConfig().vocabSize())
        .getBytes(StandardCharsets.UTF_8);
    Path checkpoint = dir.resolve("checkpoint");
    new CheckpointWriter().write(checkpoint, config, tokenizer, weights, TrainingState.imported(seed));
    Path pkg = new PackageExporter(ExportOptions.defaults()).export(checkpoint, dir.resolve("pkg")).directory();
    AtomicFiles.deleteRecursively(checkpoint);
    writeImage(dir.resolve("image.png"));
    return pkg;
  }

  /** A 64x48 PNG: a red square on the left and a blue disc on the right, on grey. */
  static Path writeImage(Path file) {
    int w = 64;
    int h = 48;
    byte[] rgb = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int r = 128;
        int g = 128;
        int b = 128;
        if (x >= 6 && x < 26 && y >= 14 && y < 34) {
          r = 220;
          g = 30;
          b = 30;
        } else if ((x - 46) * (x - 46) + (y - 24) * (y - 24) < 100) {
          r = 30;
          g = 40;
          b = 210;
        }
        int i = (y * w + x) * 3;
        rgb[i] = (byte) r;
        rgb[i + 1] = (byte) g;
        rgb[i + 2] = (byte) b;
      }
    }
    try {
      Files.write(file, ImageFiles.encodePng(new RgbImage(w, h, rgb)));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + file, e);
    }
    return file;
  }

  /**
   * Writes the example model for {@code examples/caption}: {@code DIR/pkg} and {@code DIR/image.png}, replacing
   * what is there.
   *
   * @param args {@code DIR}
   */
  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    AtomicFiles.deleteRecursively(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create " + dir, e);
    }
    Path pkg = write(dir, 3); // a seed whose greedy answers vary more than most (random weights: still word salad)
    System.out.println("tiny model package " + pkg + ", image " + dir.resolve("image.png"));
  }
}
