package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.moellava.runtime.conformance.Decision;
import org.moellava.runtime.conformance.NearTie;
import org.moellava.runtime.conformance.TensorDiff;
import org.moellava.runtime.conformance.Tolerance;
import org.moellava.safetensors.LongTensorValue;
import org.moellava.safetensors.SafetensorsFile;
import org.moellava.tensor.TensorValue;
import org.moellava.tensor.TopK;

/**
 * The published MoE-LLaVA families end to end through the CLI, against the fixtures' references (computed by a
 * PyTorch re-implementation that MoE-LLaVA's own classes were checked against): {@code import moellava}, then
 * {@code forward} with MoE-LLaVA's input convention ({@code -200} once per image row) on TensorFlow (the checkpoint)
 * and on ONNX Runtime (the exported package), for B = 1, 2, 3. Image features and logits within 1e-4 relative (each
 * position's logits against its own scale, real positions of the expanded sequence), router logits likewise, the top-2
 * experts of every real token equal except near-ties, the 8 greedy tokens equal.
 */
class MoeLlavaForwardTest {
  private static final Path FIXTURES = Path.of(System.getProperty("moellava.fixtures", "../tests/fixtures"));
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Tolerance TOL = Tolerance.FP32;

  @ParameterizedTest
  @ValueSource(strings = {"stablelm", "phi", "qwen", "phi-siglip"})
  void forwardMatchesTheReferenceOnTensorFlowAndOnnxRuntime(String family, @TempDir Path dir) throws IOException {
    Path fixture = FIXTURES.resolve("moellava-" + family);
    Path ckpt = importFixture(family, dir);
    Path pkg = dir.resolve("pkg");
    CliRunner exp = CliRunner.run("export", "--checkpoint", ckpt.toString(), "--out", pkg.toString());
    assertEquals(0, exp.exitCode(), exp.err());

    Path reference = fixture.resolve("reference.safetensors");
    List<String> report = new ArrayList<>();
    for (String kase : List.of("b1", "b2", "b3")) {
      for (String[] source : new String[][] {{"--checkpoint", ckpt.toString(), "tf"}, {"--package", pkg.toString(),
          "ort"}}) {
        Path out = dir.resolve(kase + "-" + source[2] + ".safetensors");
        CliRunner r = CliRunner.run("forward", source[0], source[1], "--inputs", reference.toString(), "--prefix",
            kase + ".", "--generate", "8", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        report.add(compare(family + " " + kase + " " + source[2], reference, kase + ".", out));
      }
    }
    System.out.println(String.join("\n", report));
  }

  /** Compares one forward output with the reference case; returns a line of figures. */
  private static String compare(String what, Path reference, String c, Path out) {
    try (SafetensorsFile ref = SafetensorsFile.open(reference); SafetensorsFile got = SafetensorsFile.open(out)) {
      LongTensorValue mask = ref.readLong(c + "expanded_attention_mask");
      assertArrayEquals(mask.data(), got.readLong("expanded_attention_mask").data(), what + ": expanded mask");
      TensorDiff features = TensorDiff.of(got.readFloat("image_features"), ref.readFloat(c + "image_features"));
      assertTrue(features.within(TOL), what + ": image_features " + features);
      TensorDiff logits = TensorDiff.rows(got.readFloat("logits"), ref.readFloat(c + "logits"),
          row -> mask.data()[row] == 1);
      assertTrue(logits.within(TOL), what + ": logits " + logits);
      int layers = 0;
      int decisions = 0;
      int nearTies = 0;
      double worstRouter = 0;
      for (String name : ref.names()) {
        if (!name.startsWith(c + "router_logits.")) continue;
        String layer = name.substring((c + "router_logits.").length());
        TensorValue r = ref.readFloat(name);
        TensorValue g = got.readFloat("router_logits." + layer);
        TensorDiff router = TensorDiff.rows(g, r, row -> mask.data()[row] == 1);
        assertTrue(router.within(TOL), what + ": router_logits." + layer + " " + router);
        worstRouter = Math.max(worstRouter, router.maxRel());
        LongTensorValue experts = ref.readLong(c + "routing." + layer + ".experts"); // [B*S', 2]
        int e = (int) r.shape()[1];
        int k = (int) experts.shape()[1];
        for (int t = 0; t < mask.data().length; t++) {
          if (mask.data()[t] == 0) continue;
          int[] want = new int[k];
          for (int j = 0; j < k; j++) want[j] = (int) experts.data()[t * k + j];
          int[] have = TopK.of(g.data(), t * e, e, k);
          Decision d = NearTie.judge(r.data(), t * e, e, want, have, TOL);
          assertTrue(d.kind() != Decision.Kind.FLIP, what + ": layer " + layer + " token " + t + " experts "
              + java.util.Arrays.toString(have) + " vs " + java.util.Arrays.toString(want) + " " + d);
          if (d.kind() == Decision.Kind.NEAR_TIE) nearTies++;
          decisions++;
        }
        layers++;
      }
      assertEquals(2, layers, what + ": two MoE layers");
      assertArrayEquals(ref.readLong(c + "greedy_tokens").data(), got.readLong("greedy_tokens").data(),
          what + ": 8 greedy tokens");
      return String.format(java.util.Locale.ROOT, "%-16s features %.2e  logits %.2e  router %.2e  routing %d/%d "
          + "(%d near-ties)  greedy equal", what, features.maxRel(), logits.maxRel(), worstRouter,
          decisions - nearTies, decisions, nearTies);
    }
  }

  /**
   * Imports the family's fixture ({@code tests/fixtures/moellava-<family>}, made by
   * tools/fixtures/moellava/generate.py) with {@code moellava import moellava} into {@code dir/ckpt}.
   */
  static Path importFixture(String family, Path dir) throws IOException {
    Path fixture = FIXTURES.resolve("moellava-" + family);
    assertTrue(Files.isDirectory(fixture), "fixture " + fixture + " not found (tests/fixtures, made by tools/fixtures/moellava/generate.py)");
    Path ckpt = dir.resolve("ckpt");
    CliRunner imp = CliRunner.run("import", "moellava", "--from", fixture.toString(), "--vision",
        visionDir(fixture, dir.resolve("vision")).toString(), "--out", ckpt.toString());
    assertEquals(0, imp.exitCode(), imp.err());
    assertTrue(imp.out().contains("imported moe_llava_" + family.replace("-siglip", "")), imp.out());
    return ckpt;
  }

  /** The --vision folder: the tower config (CLIP or SigLIP) that the fixture's reference.json describes. */
  static Path visionDir(Path fixture, Path dir) throws IOException {
    JsonNode v = JSON.readTree(fixture.resolve("reference.json").toFile()).get("vision");
    ObjectNode c = JSON.createObjectNode().put("model_type",
        v.get("kind").asText().equals("siglip") ? "siglip_vision_model" : "clip_vision_model");
    for (String k : new String[] {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "image_size", "patch_size"}) {
      c.put(k, v.get(k).asInt());
    }
    c.put("layer_norm_eps", v.get("layer_norm_eps").asDouble()).put("hidden_act", v.get("hidden_act").asText());
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
    return dir;
  }
}
