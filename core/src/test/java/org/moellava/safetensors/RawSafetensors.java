package org.moellava.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helper: writes a safetensors file from a literal header and raw data, with no validation at all. */
final class RawSafetensors {
  private RawSafetensors() {}

  static Path write(Path file, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h).put(data);
    return Files.write(file, buf.array());
  }

  static byte[] shorts(int... values) {
    ByteBuffer buf = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) buf.putShort((short) v);
    return buf.array();
  }

  static byte[] floats(float... values) {
    ByteBuffer buf = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) buf.putFloat(v);
    return buf.array();
  }
}
