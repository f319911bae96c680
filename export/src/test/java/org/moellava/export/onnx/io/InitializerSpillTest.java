package org.moellava.export.onnx.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link InitializerSpill#storeChunked}: a tensor written over several chunks reads back byte for byte, aligned. */
class InitializerSpillTest {
  @TempDir Path dir;

  @Test
  void aChunkedTensorReadsBackByteForByteAtAnAlignedOffset() {
    long length = (10L << 20) + 6; // two full 4 MiB chunks and a partial one
    try (InitializerSpill spill = InitializerSpill.create(dir.resolve("x.spill"))) {
      spill.store(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3})); // so the next tensor starts past an odd end
      long[] next = {0};
      ByteString view = spill.storeChunked(length, chunk -> {
        while (chunk.hasRemaining()) chunk.put((byte) (next[0]++ * 31 % 251));
      });
      assertEquals(length, view.size());
      for (int i = 0; i < length; i += 4093) assertEquals((byte) (i * 31L % 251), view.byteAt(i), "byte " + i);
      assertEquals((byte) ((length - 1) * 31 % 251), view.byteAt((int) length - 1));
      InitializerSpill.Region r = spill.regionOf(view);
      assertEquals(0, r.offset() % InitializerSpill.ALIGNMENT);
      assertEquals(r.offset() + length, spill.size());
    }
  }

  @Test
  void aChunkLeftShortIsAnError() {
    try (InitializerSpill spill = InitializerSpill.create(dir.resolve("y.spill"))) {
      assertThrows(IllegalStateException.class, () -> spill.storeChunked(100, chunk -> chunk.put((byte) 1)));
    }
  }
}
