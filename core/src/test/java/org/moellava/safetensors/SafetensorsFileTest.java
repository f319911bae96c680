package org.moellava.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;

class SafetensorsFileTest {
  static final Path FIXTURE = Path.of(System.getProperty("moellava.fixtures", "../tests/fixtures"), "hf-llava-qwen2moe-a", "model.safetensors");
  @TempDir Path tmp;

  @Test
  void readsTheFixtureLikeAnIndependentDecoder() throws IOException {
    byte[] file = Files.readAllBytes(FIXTURE);
    ByteBuffer buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = (int) buf.getLong(0);
    JsonNode header = new ObjectMapper().readTree(new String(file, 8, headerLength, "UTF-8"));
    String key = "language_model.model.layers.0.self_attn.k_proj.weight";
    long begin = header.get(key).get("data_offsets").get(0).asLong();
    try (SafetensorsFile st = SafetensorsFile.open(FIXTURE)) {
      assertEquals(Map.of("format", "pt"), st.metadata());
      assertEquals(header.size() - 1, st.names().size());
      TensorValue t = st.readFloat(key);
      assertArrayEquals(new long[] {32, 64}, t.shape());
      for (int i : new int[] {0, 1, 63, 64, 2047}) {
        assertEquals(buf.getFloat(8 + headerLength + (int) begin + 4 * i), t.data()[i], 0f, "element " + i);
      }
      TensorValue empty = st.readFloat("language_model.model.layers.0.mlp.shared_expert.down_proj.weight");
      assertArrayEquals(new long[] {64, 0}, empty.shape());
      assertEquals(0, empty.data().length);
    }
  }

  @Test
  void widensHalfAndBfloat16Exactly() throws IOException {
    // F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), 2^-14 (smallest normal), -0, +inf, 0.333251953125
    byte[] f16 = RawSafetensors.shorts(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x0400, 0x8000, 0x7C00, 0x3555);
    // BF16: 1.0, -2.0, 3.140625, 1e-40-ish subnormal 0x0001 = 2^-133, NaN
    byte[] bf16 = RawSafetensors.shorts(0x3F80, 0xC000, 0x4049, 0x0001, 0x7FC0);
    byte[] data = new byte[f16.length + bf16.length];
    System.arraycopy(f16, 0, data, 0, f16.length);
    System.arraycopy(bf16, 0, data, f16.length, bf16.length);
    String header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2,4],\"data_offsets\":[0,16]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[16,26]}}";
    Path file = RawSafetensors.write(tmp.resolve("half.safetensors"), header, data);
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, 0x1p-14f, -0.0f, Float.POSITIVE_INFINITY,
          0.333251953125f}, st.readFloat("a").data());
      assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(st.readFloat("a").data()[5]));
      float[] b = st.readFloat("b").data();
      assertArrayEquals(new float[] {1f, -2f, 3.140625f, 0x1p-133f}, Arrays.copyOf(b, 4));
      assertTrue(Float.isNaN(b[4]));
    }
  }

  @Test
  void readsIntegerTensors() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(8 * 3 + 4 * 2).order(ByteOrder.LITTLE_ENDIAN);
    data.putLong(7).putLong(-1).putLong(Long.MAX_VALUE).putInt(119).putInt(-5);
    String header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1,3],\"data_offsets\":[0,24]},"
        + "\"small\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[24,32]}}";
    Path file = RawSafetensors.write(tmp.resolve("ids.safetensors"), header, data.array());
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      assertArrayEquals(new long[] {7, -1, Long.MAX_VALUE}, st.readLong("ids").data());
      assertArrayEquals(new long[] {1, 3}, st.readLong("ids").shape());
      assertArrayEquals(new long[] {119, -5}, st.readLong("small").data());
      assertThrows(InvalidInputException.class, () -> st.readFloat("ids"));
    }
  }

  private InvalidInputException bad(String name, String header, byte[] data) throws IOException {
    Path file = RawSafetensors.write(tmp.resolve(name), header, data);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafetensorsFile.open(file).close());
    assertTrue(e.getMessage().contains(name), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e;
  }

  private static void assertMentions(InvalidInputException e, String... parts) {
    for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
  }

  @Test
  void rejectsOffsetsPastTheData() throws IOException {
    assertMentions(bad("past.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
        RawSafetensors.floats(1, 2, 3)), "'w'", "truncated");
  }

  @Test
  void rejectsOverlappingTensors() throws IOException {
    assertMentions(bad("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", RawSafetensors.floats(1, 2, 3)),
        "'b'", "overlap", "'a'");
  }

  @Test
  void rejectsByteCountThatDoesNotMatchShapeAndDtype() throws IOException {
    assertMentions(bad("count.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
        RawSafetensors.floats(1, 2, 3)), "'w'", "8 bytes", "needs 12");
    assertMentions(bad("count16.safetensors", "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,12]}}",
        RawSafetensors.floats(1, 2, 3)), "'w'", "needs 6");
  }

  @Test
  void rejectsUnsupportedDtypeAndMalformedEntries() throws IOException {
    assertMentions(bad("dtype.safetensors", "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}",
        new byte[4]), "'w'", "F8_E4M3");
    assertMentions(bad("shape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
        new byte[4]), "'w'", "shape");
    assertMentions(bad("json.safetensors", "{\"w\":", new byte[4]), "JSON");
    assertMentions(bad("reversed.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}",
        new byte[4]), "'w'");
  }

  @Test
  void rejectsHeaderLengthPastEndOfFile() throws IOException {
    Path file = tmp.resolve("long.safetensors");
    ByteBuffer buf = ByteBuffer.allocate(8 + 10).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(1000).put("{\"a\":1}   ".getBytes("UTF-8"));
    Files.write(file, buf.array());
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafetensorsFile.open(file));
    assertMentions(e, "long.safetensors", "1000", "past the end");
    Files.write(file, new byte[] {1, 2, 3});
    assertMentions(assertThrows(InvalidInputException.class, () -> SafetensorsFile.open(file)), "too short");
    assertMentions(assertThrows(InvalidInputException.class,
        () -> SafetensorsFile.open(tmp.resolve("absent.safetensors"))), "absent.safetensors", "not found");
  }

  @Test
  void rejectsTruncatedFixture() throws IOException {
    byte[] all = Files.readAllBytes(FIXTURE);
    Path file = Files.write(tmp.resolve("cut.safetensors"), Arrays.copyOf(all, all.length - 100));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafetensorsFile.open(file));
    // the last tensor in data order is vision_tower.pre_layrnorm.weight
    assertMentions(e, "cut.safetensors", "vision_tower.pre_layrnorm.weight", "truncated");
  }
}
