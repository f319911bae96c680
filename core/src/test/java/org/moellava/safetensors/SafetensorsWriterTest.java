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
}
