package org.moellava.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.error.InvalidInputException;

/** model.json's optional {@code quantization}: written only when present, read back, every field validated on read. */
class PackageQuantizationTest {
  @TempDir Path dir;
  final ModelConfig config = Presets.get("tiny");
  static final Map<String, String> FILES = Map.of("vision", "vision.onnx", "embed", "embed.onnx",
      "decoder", "decoder.onnx");

  @BeforeEach
  void files() throws IOException {
    for (String f : FILES.values()) Files.write(dir.resolve(f), new byte[] {1, 2, 3});
  }

  private PackageManifest manifest(String precision, PackageQuantization q) {
    var t = config.textConfig();
    return new PackageManifest(PackageManifest.FORMAT_VERSION, "tiny", config.visionConfig().imageSize(),
        config.imageMean(), config.imageStd(), config.imageAspectMode(), config.visionConfig().numPatches(),
        config.imageTokenIndex(), t.eosTokenId(), t.padTokenId(), config.systemPrompt(), PackageManifest.CHAT_TEMPLATE,
        t.moeLayers().resolve(t.numHiddenLayers()), "standard", precision, 17, FILES, null, config)
        .withQuantization(q);
  }

  static PackageQuantization int4(Map<String, String> tensors) {
    return new PackageQuantization("int4", 4, 32, true, 0, tensors);
  }

  @Test
  void aQuantizedManifestRoundTripsAndAnUnquantizedOneOmitsTheField() throws IOException {
    PackageManifestIO.write(manifest("fp32", int4(Map.of("lm_head/kernel", "int4-b32-sym",
        "llm/layers_0/mlp/experts/gate_proj", "int4-b32-sym"))), dir);
    PackageManifest m = PackageManifestIO.read(dir);
    assertTrue(m.quantized());
    assertEquals("int4-b32-sym", m.quantization().id());
    assertEquals("int4-b32-sym", m.quantization().tensors().get("lm_head/kernel"));
    assertTrue(Files.readString(dir.resolve("model.json")).contains("\"block_size\" : 32"));

    PackageManifestIO.write(manifest("fp32", null), dir);
    assertFalse(Files.readString(dir.resolve("model.json")).contains("quantization"));
    assertNull(PackageManifestIO.read(dir).quantization());
  }

  @Test
  void everyFieldIsValidatedOnReadNamingIt() throws IOException {
    Map<String, String> t = Map.of("lm_head/kernel", "int4-b32-sym");
    expectRefused(manifest("fp32", new PackageQuantization("int3", 3, 32, true, 0, t)), "quantization.scheme");
    expectRefused(manifest("fp32", new PackageQuantization("int4", 8, 32, true, 0, t)), "quantization.bits");
    expectRefused(manifest("fp32", new PackageQuantization("int4", 4, 48, true, 0, t)), "quantization.block_size");
    expectRefused(manifest("fp32", new PackageQuantization("int4", 4, 32, true, 7, t)),
        "quantization.accuracy_level");
    expectRefused(manifest("fp32", int4(Map.of())), "quantization.tensors");
    expectRefused(manifest("fp32", int4(Map.of("lm_head/kernel", "int4-b33-sym"))), "quantization.tensors.lm_head");
    expectRefused(manifest("fp32", int4(Map.of("lm_head/kernel", "int8-b32-sym"))), "package scheme int4-b32-sym");
    expectRefused(manifest("fp16", int4(t)), "needs precision fp32");
  }

  private void expectRefused(PackageManifest m, String fragment) {
    PackageManifestIO.write(m, dir);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> PackageManifestIO.read(dir));
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  static PackageQuantization qdq(Map<String, String> tensors) {
    return new PackageQuantization("int8", 8, PackageQuantization.PER_CHANNEL, true, 0, tensors,
        PackageQuantization.QDQ);
  }

  @Test
  void aPerChannelQdqManifestRoundTripsAndItsFieldsAreChecked() throws IOException {
    Map<String, String> t = Map.of("lm_head/kernel", "int8-channel-sym-qdq");
    PackageManifestIO.write(manifest("fp32", qdq(t)), dir);
    PackageQuantization q = PackageManifestIO.read(dir).quantization();
    assertEquals("qdq", q.format());
    assertEquals("int8-channel-sym-qdq", q.id());
    assertTrue(q.perChannel());
    String json = Files.readString(dir.resolve("model.json"));
    assertTrue(json.contains("\"format\" : \"qdq\"") && json.contains("\"block_size\" : 0"), json);
    // a blockwise package writes no format and reads back as qoperator
    PackageManifestIO.write(manifest("fp32", int4(Map.of("lm_head/kernel", "int4-b32-sym"))), dir);
    assertFalse(Files.readString(dir.resolve("model.json")).contains("format\""));
    assertEquals("qoperator", PackageManifestIO.read(dir).quantization().effectiveFormat());

    expectRefused(manifest("fp32", new PackageQuantization("int8", 8, 0, true, 0, t, "qdq4")), "quantization.format");
    expectRefused(manifest("fp32", new PackageQuantization("int8", 8, 32, true, 0, t, "qdq")),
        "quantization.block_size");
    expectRefused(manifest("fp32", new PackageQuantization("int4", 4, 0, true, 0, t, "qdq")),
        "quantization.block_size");
    expectRefused(manifest("fp32", new PackageQuantization("int8", 8, 0, true, 0, t)), "needs format qdq");
    expectRefused(manifest("fp32", int4(Map.of("lm_head/kernel", "int8-channel-sym-qdq"))),
        "quantization.tensors.lm_head");
  }

  @Test
  void perChannelScalesAreOnePerOutputColumnOfEachMatrix() {
    PackageQuantization q = qdq(Map.of("w", "int8-channel-sym-qdq"));
    // [K 64, N 128]: 128 scales; experts [4, 64, 32]: 4 x 32
    assertEquals(128, q.scaleCount(new long[] {64, 128}));
    assertEquals(128, q.scaleCount(new long[] {4, 64, 32}));
    assertEquals(64 * 128 + 128 * 4, q.storedBytes(new long[] {64, 128}), 1e-9);
    assertEquals(1 + 4.0 / 64, q.bytesPerWeight(64), 1e-12);
    PackageQuantization b = int4(Map.of("w", "int4-b32-sym"));
    assertEquals(64 * 128 / 32, b.scaleCount(new long[] {64, 128}));
    assertEquals(0.5 + 4.0 / 32, b.bytesPerWeight(64), 1e-12);
  }
}
