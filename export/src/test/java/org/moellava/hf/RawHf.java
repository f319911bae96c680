package org.moellava.hf;

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
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Test helper independent of the code under test: decodes F32 safetensors files with plain ByteBuffers and
 * writes F32/BF16 files and fixture copies by hand.
 */
final class RawHf {
  static final Path FIXTURES = Path.of(System.getProperty("moellava.fixtures", "../tests/fixtures"));
  static final ObjectMapper JSON = new ObjectMapper();

  private RawHf() {}

  /** A tensor as the file stores it: shape and F32 values, plus its raw bytes. */
  record Raw(long[] shape, float[] values, byte[] bytes) {
    float at(long... index) {
      long flat = 0;
      for (int i = 0; i < shape.length; i++) flat = flat * shape[i] + index[i];
      return values[(int) flat];
    }
  }

  static Path fixture(String variant) {
    return FIXTURES.resolve("hf-llava-qwen2moe-" + variant);
  }

  /** Every tensor of an F32 safetensors file, in header order. */
  static Map<String, Raw> readF32(Path file) {
    try {
      byte[] all = Files.readAllBytes(file);
      ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
      int headerLength = (int) buf.getLong(0);
      JsonNode header = JSON.readTree(new String(all, 8, headerLength, StandardCharsets.UTF_8));
      Map<String, Raw> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) continue;
        if (!e.getValue().get("dtype").asText().equals("F32")) throw new IllegalStateException("not F32");
        long[] shape = new long[e.getValue().get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().get("shape").get(i).asLong();
        int begin = e.getValue().get("data_offsets").get(0).asInt();
        int end = e.getValue().get("data_offsets").get(1).asInt();
        float[] values = new float[(end - begin) / 4];
        for (int i = 0; i < values.length; i++) values[i] = buf.getFloat(8 + headerLength + begin + 4 * i);
        byte[] bytes = new byte[end - begin];
        System.arraycopy(all, 8 + headerLength + begin, bytes, 0, bytes.length);
        out.put(e.getKey(), new Raw(shape, values, bytes));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes tensors (in the given order, no gaps) as {@code dtype} F32 or BF16 (BF16 truncates). */
  static void write(Path file, Map<String, Raw> tensors, String dtype) {
    int width = dtype.equals("BF16") ? 2 : 4;
    ObjectNode header = JSON.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Map.Entry<String, Raw> e : tensors.entrySet()) {
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", dtype);
      com.fasterxml.jackson.databind.node.ArrayNode shape = entry.putArray("shape");
      for (long d : e.getValue().shape()) shape.add(d);
      long n = e.getValue().values().length;
      entry.putArray("data_offsets").add(offset).add(offset + n * width);
      offset += n * width;
    }
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate((int) (8 + h.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h);
    for (Raw r : tensors.values()) {
      for (float v : r.values()) {
        if (width == 4) buf.putFloat(v);
        else buf.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
      }
    }
    try {
      Files.write(file, buf.array());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The value a float has after a round trip through bfloat16 by truncation. */
  static float bf16(float v) {
    return Float.intBitsToFloat(Float.floatToRawIntBits(v) & 0xFFFF0000);
  }

  static Raw raw(long[] shape, float[] values) {
    return new Raw(shape, values, null);
  }

  /** Copies a fixture folder (its config and weights) to a writable temporary folder. */
  static Path copyFixture(String variant, Path dir) {
    try {
      Files.createDirectories(dir);
      try (Stream<Path> files = Files.list(fixture(variant))) {
        for (Path f : files.sorted(Comparator.naturalOrder()).toList()) {
          Path dst = dir.resolve(f.getFileName());
          Files.copy(f, dst);
          dst.toFile().setWritable(true);
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Edits {@code dir/config.json}. */
  static void editConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) {
    try {
      ObjectNode root = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
      edit.accept(root);
      Files.writeString(dir.resolve("config.json"), root.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, Raw> sortedCopy(Map<String, Raw> m) {
    return new TreeMap<>(m);
  }

  static List<String> keys(Map<String, Raw> m) {
    return List.copyOf(m.keySet());
  }
}
