package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.moellava.export.pkg.ExportOptions;
import org.moellava.export.pkg.PackageExporter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.analysis.TopK;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.tensor.TensorValue;
import org.moellava.hf.HfImporter;
import org.moellava.hf.HfReference;
import org.moellava.safetensors.SafetensorsFile;
import org.moellava.safetensors.SafetensorsWriter;

/**
 * {@code moellava forward} against transformers' outputs for the tiny Hugging Face fixtures, through the real path:
 * {@link HfImporter} writes a checkpoint, the command reads it and {@code reference.safetensors}'s inputs.
 */
class ForwardCommandTest {
  private static final Path FIXTURES = Path.of(System.getProperty("moellava.fixtures", "../tests/fixtures"));
  private static final double RTOL = 1e-4;
  private static final double MARGIN = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"a", "b"})
  void forwardReproducesTransformers(String variant, @TempDir Path dir) {
    Path fixture = FIXTURES.resolve("hf-llava-qwen2moe-" + variant);
    assertTrue(Files.isDirectory(fixture), "fixtures not found (set -Dmoellava.fixtures): " + fixture);
    Path checkpoint = dir.resolve("ckpt");
    new HfImporter(false).importTo(fixture, checkpoint);
    Path reference = fixture.resolve(HfReference.FILE);
    Path pkg = dir.resolve("pkg");
    new PackageExporter(ExportOptions.defaults()).export(checkpoint, pkg);
    for (String[] source : new String[][] {{"--checkpoint", checkpoint.toString(), "tf"},
        {"--package", pkg.toString(), "ort"}}) {
      Path out = dir.resolve("out-" + source[2] + ".safetensors");
      CliRunner r = CliRunner.run("forward", source[0], source[1], "--backend", source[2],
          "--inputs", reference.toString(), "--out", out.toString(), "--generate", "8");
      assertEquals(0, r.exitCode(), r.err());
      assertMatchesReference(reference, checkpoint, out, source[2]);
    }
  }

  private static void assertMatchesReference(Path reference, Path checkpoint, Path out, String backend) {
    HfReference ref = HfReference.read(reference);
    ModelConfig config = CheckpointReader.open(checkpoint).config();
    try (SafetensorsFile got = SafetensorsFile.open(out)) {
      assertClose(backend + " image_features", ref.imageFeatures(), got.readFloat("image_features"));
      assertClose(backend + " logits", ref.logits(), got.readFloat("logits"));
      assertEquals(new java.util.TreeSet<>(config.textConfig().moeLayerIndices()), ref.routerLogits().keySet());
      int k = config.textConfig().numExpertsPerTok();
      int compared = 0;
      for (Map.Entry<Integer, TensorValue> e : ref.routerLogits().entrySet()) {
        compared += assertSameExperts(backend + " router_logits." + e.getKey(), e.getValue(),
            got.readFloat("router_logits." + e.getKey()), k);
      }
      assertTrue(compared > ref.inputIds().shape()[0] * ref.inputIds().shape()[1], "tokens compared: " + compared);
      assertArrayEquals(ref.greedyTokens().shape(), got.readLong("greedy_tokens").shape());
      assertArrayEquals(ref.greedyTokens().data(), got.readLong("greedy_tokens").data(), backend + " greedy tokens");
    }
  }

  @Test
  void missingInputFailsWithOneLineAndWritesNothing(@TempDir Path dir) {
    Path fixture = FIXTURES.resolve("hf-llava-qwen2moe-a");
    assertTrue(Files.isDirectory(fixture), "fixtures not found (set -Dmoellava.fixtures): " + fixture);
    Path checkpoint = dir.resolve("ckpt");
    new HfImporter(false).importTo(fixture, checkpoint);
    Path inputs = dir.resolve("in.safetensors");
    HfReference ref = HfReference.read(fixture.resolve(HfReference.FILE));
    new SafetensorsWriter().addFloat("pixel_values", ref.pixelValues()).addLong("input_ids", ref.inputIds()).write(inputs);
    Path out = dir.resolve("out.safetensors");
    CliRunner r = CliRunner.run("forward", "--checkpoint", checkpoint.toString(), "--inputs", inputs.toString(),
        "--out", out.toString());
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("attention_mask"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertFalse(Files.exists(out));
  }

  /** Elementwise {@code |got - want| <= rtol*|want| + 0.1*rtol*max|want|}. */
  private static void assertClose(String what, TensorValue want, TensorValue got) {
    assertArrayEquals(want.shape(), got.shape(), what + ": shape");
    double scale = 0;
    for (float w : want.data()) scale = Math.max(scale, Math.abs(w));
    for (int i = 0; i < want.data().length; i++) {
      double tol = RTOL * Math.abs(want.data()[i]) + 0.1 * RTOL * scale;
      double err = Math.abs(got.data()[i] - want.data()[i]);
      assertTrue(err <= tol, what + ": index " + i + " expected " + want.data()[i] + " got " + got.data()[i]);
    }
  }

  /** The top-k experts of every token agree, except where the reference's k-th/(k+1)-th margin is below 1e-4. */
  private static int assertSameExperts(String what, TensorValue want, TensorValue got, int k) {
    assertArrayEquals(want.shape(), got.shape(), what + ": shape");
    int n = (int) want.shape()[0];
    int e = (int) want.shape()[1];
    int compared = 0;
    for (int t = 0; t < n; t++) {
      float[] sorted = Arrays.copyOfRange(want.data(), t * e, t * e + e);
      Arrays.sort(sorted);
      if (k < e && sorted[e - k] - sorted[e - k - 1] < MARGIN) continue;
      int[] a = TopK.indices(want.data(), t * e, e, k);
      int[] b = TopK.indices(got.data(), t * e, e, k);
      Arrays.sort(a);
      Arrays.sort(b);
      assertArrayEquals(a, b, what + ": token " + t);
      compared++;
    }
    return compared;
  }
}
