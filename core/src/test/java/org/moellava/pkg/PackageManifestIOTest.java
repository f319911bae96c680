package org.moellava.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.error.InvalidInputException;

/** model.json: hashes recorded at write and checked at read, values checked against the config, paths kept inside. */
class PackageManifestIOTest {
  @TempDir Path dir;
  final ModelConfig config = Presets.get("tiny");

  @BeforeEach
  void files() throws IOException {
    for (String f : new String[] {"vision.onnx", "embed.onnx", "decoder.onnx", "tokenizer.json"}) {
      byte[] bytes = new byte[4096];
      for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (i * 31 + f.length());
      Files.write(dir.resolve(f), bytes);
    }
  }

  private PackageManifest manifest(Map<String, String> files) {
    var t = config.textConfig();
    return new PackageManifest(PackageManifest.FORMAT_VERSION, "tiny", config.visionConfig().imageSize(),
        config.imageMean(), config.imageStd(), config.imageAspectMode(), config.visionConfig().numPatches(),
        config.imageTokenIndex(), t.eosTokenId(), t.padTokenId(), config.systemPrompt(), PackageManifest.CHAT_TEMPLATE,
        t.moeLayers().resolve(t.numHiddenLayers()), "standard", "fp32", 17, files, null, config);
  }

  private static final Map<String, String> FILES = Map.of("vision", "vision.onnx", "embed", "embed.onnx",
      "decoder", "decoder.onnx", "tokenizer", "tokenizer.json");

  @Test
  void hashesAreRecordedAndAFlippedByteIsRefused() throws IOException {
    PackageManifestIO.write(manifest(FILES), dir);
    PackageManifest read = PackageManifestIO.read(dir);
    assertEquals(4, read.sha256().size());
    // independent reference: the JDK's digest over the file's bytes
    assertEquals(hex(dir.resolve("decoder.onnx")), read.sha256().get("decoder.onnx"));

    byte[] decoder = Files.readAllBytes(dir.resolve("decoder.onnx"));
    for (int i = 1000; i < 1064; i++) decoder[i] ^= 0x5A; // 64 flipped bytes inside the weights
    Files.write(dir.resolve("decoder.onnx"), decoder);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> PackageManifestIO.read(dir));
    assertTrue(e.getMessage().contains("decoder.onnx: SHA-256") && e.getMessage().contains("re-export"),
        e.getMessage());
    PackageManifestIO.read(dir, PackageManifestIO.Integrity.SKIP); // only when asked
  }

  @Test
  void aManifestWrittenBeforeTheDecoderArchitectureFieldsReadsAsQwen2Moe() throws IOException {
    PackageManifestIO.write(manifest(FILES), dir);
    Path file = dir.resolve(PackageManifest.FILE_NAME);
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    var root = mapper.readTree(file.toFile());
    var text = (com.fasterxml.jackson.databind.node.ObjectNode) root.get("config").get("text_config");
    for (String key : new String[] {"decoder_style", "norm_type", "norm_bias", "qkv_bias", "o_proj_bias",
        "partial_rotary_factor", "parallel_residual", "mlp_type", "mlp_bias", "lm_head_bias"}) {
      assertTrue(text.remove(key) != null, key + " was written");
    }
    String json = mapper.writeValueAsString(root);
    Files.writeString(file, json);
    assertEquals(config, PackageManifestIO.read(dir).config());
  }

  @Test
  void aManifestWithoutHashesIsRefusedUnlessAsked() throws IOException {
    Files.writeString(dir.resolve("model.json"), PackageManifestIO.toJson(manifest(FILES)));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> PackageManifestIO.read(dir));
    assertTrue(e.getMessage().contains("records no SHA-256"), e.getMessage());
    PackageManifestIO.read(dir, PackageManifestIO.Integrity.SKIP);
  }

  @Test
  void filesOutsideThePackageAreRefused() throws IOException {
    Path outside = Files.writeString(dir.getParent().resolve("secret-" + dir.getFileName()), "secret");
    for (String name : new String[] {"../../../../etc/passwd", "/etc/passwd", "a/../../x", "../" + outside.getFileName()}) {
      Map<String, String> files = new java.util.HashMap<>(FILES);
      files.put("tokenizer", name);
      Files.writeString(dir.resolve("model.json"), PackageManifestIO.toJson(manifest(files)));
      InvalidInputException e = assertThrows(InvalidInputException.class,
          () -> PackageManifestIO.read(dir, PackageManifestIO.Integrity.SKIP), name);
      assertTrue(e.getMessage().contains("files.tokenizer '" + name + "'"), e.getMessage());
    }
    Files.createSymbolicLink(dir.resolve("link.json"), outside);
    Map<String, String> files = new java.util.HashMap<>(FILES);
    files.put("tokenizer", "link.json");
    Files.writeString(dir.resolve("model.json"), PackageManifestIO.toJson(manifest(files)));
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> PackageManifestIO.read(dir, PackageManifestIO.Integrity.SKIP));
    assertTrue(e.getMessage().contains("leads outside the package"), e.getMessage());
  }

  @Test
  void impossibleValuesAreRefusedNamingTheField() throws IOException {
    PackageManifestIO.write(manifest(FILES), dir);
    String good = Files.readString(dir.resolve("model.json"));
    assertRefused(good, s -> s.replaceFirst("\"eos_token_id\" : \\d+", "\"eos_token_id\" : 100000"), "eos_token_id");
    assertRefused(good, s -> s.replaceFirst("\"num_image_tokens\" : \\d+", "\"num_image_tokens\" : 65"),
        "num_image_tokens 65");
    assertRefused(good, s -> s.replaceFirst("\"image_size\" : \\d+", "\"image_size\" : 0"), "image_size 0");
    assertRefused(good, s -> s.replaceFirst("\"moe_mode\" : \"standard\"", "\"moe_mode\" : \"magic\""), "moe_mode");
  }

  private void assertRefused(String good, UnaryOperator<String> edit, String expected) throws IOException {
    String bad = edit.apply(good);
    assertTrue(!bad.equals(good), "the edit for " + expected + " changed nothing");
    Files.writeString(dir.resolve("model.json"), bad);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> PackageManifestIO.read(dir));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static String hex(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
