package org.moellava.hf;

import static org.junit.jupiter.api.Assertions.assertTrue;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The published-family fixtures ({@code tests/fixtures/moellava-*}, from branch moellava-fixtures) for tests, read
 * independently of the code under test: raw safetensors tensors with their dtype, the tower folder a user would pass
 * as {@code --vision}.
 */
final class MoeLlavaFixtures {
  static final ObjectMapper JSON = new ObjectMapper();

  private MoeLlavaFixtures() {}

  /** The fixture folder of {@code family}; the test is skipped (assumption) when it is not in this checkout. */
  static Path fixture(String family) {
    Path f = RawHf.FIXTURES.resolve("moellava-" + family);
    assertTrue(Files.isDirectory(f), "fixture " + f + " not found (tests/fixtures, made by tools/fixtures/moellava/generate.py)");
    return f;
  }

  /**
   * A {@code --vision} folder for {@code fixture}: the {@code config.json} of a {@code clip_vision_model} with the
   * tower that {@code reference.json} describes (the fixtures' own tower; the checkpoint holds its weights).
   */
  static Path visionDir(Path fixture, Path dir) {
    try {
      JsonNode v = JSON.readTree(fixture.resolve("reference.json").toFile()).get("vision");
      ObjectNode c = JSON.createObjectNode();
      c.put("model_type", v.get("kind").asText().equals("clip") ? "clip_vision_model" : "siglip_vision_model");
      for (String k : new String[] {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
          "image_size", "patch_size"}) {
        c.put(k, v.get(k).asInt());
      }
      c.put("layer_norm_eps", v.get("layer_norm_eps").asDouble());
      c.put("hidden_act", v.get("hidden_act").asText());
      c.put("num_channels", 3);
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A tensor as stored: dtype, shape and raw bytes, and the file it is in. */
  record Raw(String dtype, long[] shape, byte[] bytes, String file) {}

  /** Every tensor of every {@code *.safetensors} file of {@code dir}, by key. */
  static Map<String, Raw> tensors(Path dir) {
    Map<String, Raw> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")
          && !p.getFileName().toString().startsWith("reference")).toList()) {
        byte[] all = Files.readAllBytes(f);
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) buf.getLong(0);
        JsonNode header = JSON.readTree(new String(all, 8, headerLength, StandardCharsets.UTF_8));
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (e.getKey().equals("__metadata__")) continue;
          long[] shape = new long[e.getValue().get("shape").size()];
          for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().get("shape").get(i).asLong();
          int begin = e.getValue().get("data_offsets").get(0).asInt();
          int end = e.getValue().get("data_offsets").get(1).asInt();
          byte[] bytes = new byte[end - begin];
          System.arraycopy(all, 8 + headerLength + begin, bytes, 0, bytes.length);
          out.put(e.getKey(), new Raw(e.getValue().get("dtype").asText(), shape, bytes, f.getFileName().toString()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The float value of element {@code index} of a raw F32 or BF16 tensor. */
  static float value(Raw t, int index) {
    ByteBuffer b = ByteBuffer.wrap(t.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    return switch (t.dtype()) {
      case "F32" -> b.getFloat(4 * index);
      case "BF16" -> Float.intBitsToFloat((b.getShort(2 * index) & 0xFFFF) << 16);
      default -> throw new IllegalArgumentException(t.dtype());
    };
  }

  /** Copies a fixture folder (files only) to {@code target}. */
  static Path copy(Path fixture, Path target) {
    try {
      Files.createDirectories(target);
      try (Stream<Path> files = Files.list(fixture)) {
        for (Path f : files.toList()) Files.copy(f, target.resolve(f.getFileName()));
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
