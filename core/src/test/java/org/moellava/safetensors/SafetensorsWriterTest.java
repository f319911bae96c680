package org.moellava.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.tensor.TensorValue;

class SafetensorsWriterTest {
  @TempDir Path tmp;

  @Test
  void roundTripsFloatAndLongTensorsBitExact() throws IOException {
    float[] w = {1.5f, -0.0f, Float.NaN, Float.MIN_VALUE, 3e38f, -7f};
    long[] ids = {119, 0, -3, Long.MIN_VALUE};
    Path file = tmp.resolve("out.safetensors");
    new SafetensorsWriter().metadata("format", "pt")
        .addFloat("z.weight", new TensorValue(new long[] {2, 3}, w))
        .addFloat("a.empty", new TensorValue(new long[] {4, 0}, new float[0]))
        .addLong("input_ids", new LongTensorValue(new long[] {2, 2}, ids))
        .write(file);
    byte[] bytes = Files.readAllBytes(file);
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "header padded to 8 bytes");
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
    assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"input_ids\""), header);
    assertTrue(header.indexOf("\"a.empty\"") < header.indexOf("\"z.weight\""), header);
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      assertEquals(List.of("a.empty", "input_ids", "z.weight"), List.copyOf(st.names()));
      TensorValue back = st.readFloat("z.weight");
      assertArrayEquals(new long[] {2, 3}, back.shape());
      for (int i = 0; i < w.length; i++) {
        assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(back.data()[i]));
      }
      assertArrayEquals(ids, st.readLong("input_ids").data());
      assertArrayEquals(new long[] {4, 0}, st.readFloat("a.empty").shape());
    }
    try (Stream<Path> files = Files.list(tmp)) {
      assertEquals(List.of(file), files.toList(), "no temporary files left");
    }
  }

  @Test
  void rewritingTheFixtureReproducesItByteForByte() throws IOException {
    SafetensorsWriter writer = new SafetensorsWriter();
    try (SafetensorsFile st = SafetensorsFile.open(SafetensorsFileTest.FIXTURE)) {
      st.metadata().forEach(writer::metadata);
      for (String name : st.names()) writer.addFloat(name, st.readFloat(name));
    }
    Path file = tmp.resolve("copy.safetensors");
    writer.write(file);
    assertArrayEquals(Files.readAllBytes(SafetensorsFileTest.FIXTURE), Files.readAllBytes(file));
  }

  /** Every 16-bit pattern read as F16 or BF16 and written back as the same dtype gives the same bits. */
  @Test
  void halfPrecisionRoundTripsEveryBitPatternExactly() throws IOException {
    for (SafetensorsDType dtype : new SafetensorsDType[] {SafetensorsDType.F16, SafetensorsDType.BF16}) {
      ByteBuffer raw = ByteBuffer.allocate(65536 * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int b = 0; b < 65536; b++) raw.putShort((short) b);
      float[] widened = new float[65536];
      for (int b = 0; b < 65536; b++) {
        widened[b] = dtype == SafetensorsDType.F16 ? HalfFloats.float16ToFloat((short) b)
            : HalfFloats.bfloat16ToFloat((short) b);
      }
      Path file = tmp.resolve(dtype + ".safetensors");
      new SafetensorsWriter().addFloat("t", new TensorValue(new long[] {65536}, widened), dtype).write(file);
      try (SafetensorsFile st = SafetensorsFile.open(file)) {
        assertEquals(dtype, st.entry("t").dtype());
        byte[] back = st.readRawBytes("t");
        for (int b = 0; b < 65536; b++) {
          int got = (back[2 * b] & 0xFF) | (back[2 * b + 1] & 0xFF) << 8;
          boolean nan = Float.isNaN(widened[b]);
          if (nan) {
            assertTrue(Float.isNaN(dtype == SafetensorsDType.F16 ? HalfFloats.float16ToFloat((short) got)
                : HalfFloats.bfloat16ToFloat((short) got)), dtype + " NaN stays NaN");
          }
          assertEquals(b, got, dtype + " bits 0x" + Integer.toHexString(b));
        }
      }
    }
  }

  @Test
  void narrowingRoundsToNearestEven() {
    // 1 + 2^-11 is halfway between binary16 1.0 and its successor: ties to even (1.0); 1 + 3*2^-12 rounds up
    assertEquals(0x3C00, HalfFloats.floatToFloat16(1f + 0x1p-11f) & 0xFFFF);
    assertEquals(0x3C01, HalfFloats.floatToFloat16(1f + 3 * 0x1p-12f) & 0xFFFF);
    assertEquals(0x7C00, HalfFloats.floatToFloat16(70000f) & 0xFFFF, "overflow to infinity");
    assertEquals(0x0001, HalfFloats.floatToFloat16(0x1p-24f) & 0xFFFF, "smallest subnormal");
    assertEquals(0x3F80, HalfFloats.floatToBfloat16(1f + 0x1p-8f) & 0xFFFF, "bf16 tie to even");
    assertEquals(0x3F81, HalfFloats.floatToBfloat16(1f + 0x1p-8f + 0x1p-20f) & 0xFFFF);
  }
}
