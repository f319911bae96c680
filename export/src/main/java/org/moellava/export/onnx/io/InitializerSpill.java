package org.moellava.export.onnx.io;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.IdentityHashMap;
import java.util.Map;
import org.moellava.error.InvalidInputException;

/**
 * The external data file of one ONNX model, written while the model is converted: each large initializer's bytes are
 * appended as soon as the initializer is made (at an {@value #ALIGNMENT}-byte aligned offset, so ONNX Runtime and
 * the OS can memory-map them) and the graph keeps only a read-only memory-mapped view of them. The exporter's heap
 * then holds names, shapes and offsets, never the weights: pages of the views are the OS's page cache, read back
 * only when something reads the tensor (a later pass such as fp16 narrowing or quantization) and dropped by the
 * kernel under memory pressure.
 *
 * <p>{@link OnnxModelWriter#write(org.moellava.export.onnx.proto.ModelProto, Path, InitializerSpill)} recognises
 * the views (by identity) and writes their {@code location/offset/length} without copying a byte. Not thread-safe;
 * {@link #close()} closes the file (views stay valid until they are garbage collected).
 */
public final class InitializerSpill implements AutoCloseable {
  /** Offsets are multiples of this: a page, and the mapping granularity ONNX Runtime's memory map needs. */
  public static final int ALIGNMENT = 4096;

  /**
   * Where one tensor's bytes are in the file.
   *
   * @param offset byte offset, a multiple of {@link #ALIGNMENT}
   * @param length number of bytes
   */
  public record Region(long offset, long length) {}

  private final Path file;
  private final FileChannel channel;
  private final Map<ByteString, Region> views = new IdentityHashMap<>();
  private long end;
  private ByteBuffer chunk; // 4 MiB staging buffer of storeFloats

  private InitializerSpill(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** Creates (or truncates) {@code file}. */
  public static InitializerSpill create(Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return new InitializerSpill(file, FileChannel.open(file, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ, StandardOpenOption.WRITE));
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot create external data: " + e.getMessage(), e);
    }
  }

  /** The file. */
  public Path file() {
    return file;
  }

  /** Bytes written so far (the end of the last tensor). */
  public long size() {
    return end;
  }

  /** Appends {@code data} at the next aligned offset; returns its region. */
  public Region append(ByteBuffer data) {
    long offset = (end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    long length = data.remaining();
    try {
      long pos = offset;
      ByteBuffer src = data.duplicate();
      while (src.hasRemaining()) pos += channel.write(src, pos);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot write external data: " + e.getMessage(), e);
    }
    end = offset + length;
    return new Region(offset, length);
  }

  /** Appends {@code data} and returns a memory-mapped view of it, recognised later by {@link #regionOf}. */
  public ByteString store(ByteBuffer data) {
    return view(append(data));
  }

  /** Appends {@code values} as little-endian floats (written in chunks) and returns a mapped view of them. */
  public ByteString storeFloats(float[] values) {
    int[] next = {0}; // the first value the next chunk takes
    return storeChunked(4L * values.length, chunk -> {
      int n = chunk.remaining() / Float.BYTES; // the chunk's limit is a multiple of 4: 4 MiB, or what is left
      chunk.asFloatBuffer().put(values, next[0], n); // little-endian, as the chunk
      chunk.position(chunk.limit());
      next[0] += n;
    });
  }

  /**
   * Appends {@code length} bytes that {@code fill} writes chunk by chunk and returns a mapped view of them: each call
   * gets the reused little-endian direct buffer cleared, its limit at the bytes still to come (at most 4 MiB), and
   * must fill it to that limit. A converted copy (fp16 narrowing) then never exists whole on the heap.
   */
  public ByteString storeChunked(long length, java.util.function.Consumer<ByteBuffer> fill) {
    long offset = (end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    if (chunk == null) chunk = ByteBuffer.allocateDirect(1 << 22).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    long pos = offset;
    try {
      for (long done = 0; done < length; ) {
        chunk.clear();
        chunk.limit((int) Math.min(chunk.capacity(), length - done));
        fill.accept(chunk);
        if (chunk.hasRemaining()) throw new IllegalStateException("a chunk was left " + chunk.remaining() + " bytes short");
        chunk.flip();
        done += chunk.remaining();
        while (chunk.hasRemaining()) pos += channel.write(chunk, pos);
      }
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot write external data: " + e.getMessage(), e);
    }
    end = offset + length;
    return view(new Region(offset, length));
  }

  /** A read-only memory-mapped view of {@code region} (an empty string for an empty region). */
  public ByteString view(Region region) {
    if (region.length() > Integer.MAX_VALUE) {
      throw new InvalidInputException(file + ": tensor of " + region.length() + " bytes is larger than 2 GiB");
    }
    try {
      ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, region.offset(), region.length());
      ByteString view = UnsafeByteOperations.unsafeWrap(mapped);
      views.put(view, region);
      return view;
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot map external data: " + e.getMessage(), e);
    }
  }

  /** The region behind {@code raw} if it is one of this file's views, else null. */
  public Region regionOf(ByteString raw) {
    return views.get(raw);
  }

  /** Copies {@code region} of this file to {@code target} at {@code position} without reading it into the heap. */
  void copyTo(Region region, FileChannel target, long position) throws IOException {
    long done = 0;
    while (done < region.length()) {
      done += channel.transferTo(region.offset() + done, region.length() - done, target.position(position + done));
    }
  }

  /** Forgets the views (so their mappings can be collected) and closes the file. */
  @Override
  public void close() {
    views.clear();
    try {
      channel.close();
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot close external data: " + e.getMessage(), e);
    }
  }
}
