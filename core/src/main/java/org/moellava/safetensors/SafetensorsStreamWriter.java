package org.moellava.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;

/**
 * Writes a safetensors file tensor by tensor: the header (every entry's name, dtype, shape and offsets) is written
 * first from a declared list of entries, then each tensor's data as it is given, in the declared order, so that only
 * one tensor is held at a time. Floating-point tensors are narrowed to F16/BF16 as {@link SafetensorsWriter} does
 * (round to nearest even). The file is written in place: the caller writes it into a staging directory (the project's
 * {@code AtomicFiles}); {@link #close} before every entry was written deletes it and fails.
 */
public final class SafetensorsStreamWriter implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One declared tensor. */
  public record Entry(String name, SafetensorsDType dtype, long[] shape) {
    public Entry {
      if (!dtype.isFloatingPoint()) throw new IllegalArgumentException(dtype + " is not a floating-point dtype");
      shape = shape.clone();
    }

    /** The bytes of the tensor's data. */
    public long byteLength() {
      return TensorValue.elementCount(shape) * dtype.bytesPerElement();
    }
  }

  private final Path file;
  private final List<Entry> entries;
  private final OutputStream out;
  private int next;
  private boolean failed;

  private SafetensorsStreamWriter(Path file, List<Entry> entries, OutputStream out) {
    this.file = file;
    this.entries = entries;
    this.out = out;
  }

  /** Creates {@code file} (which must not exist) and writes its header. */
  public static SafetensorsStreamWriter open(Path file, Map<String, String> metadata, List<Entry> entries) {
    byte[] header = header(metadata, entries);
    OutputStream out = null;
    try {
      out = new BufferedOutputStream(Files.newOutputStream(file, java.nio.file.StandardOpenOption.CREATE_NEW), 1 << 20);
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
      out.write(header);
      return new SafetensorsStreamWriter(file, List.copyOf(entries), out);
    } catch (IOException e) {
      closeQuietly(out);
      deleteQuietly(file);
      throw new InvalidInputException(file + ": cannot write safetensors file: " + e.getMessage(), e);
    }
  }

  /** Writes the next declared tensor, which must be {@code name} with the declared shape. */
  public void write(String name, TensorValue value) {
    if (next >= entries.size()) throw new IllegalStateException(file + ": more tensors than declared ('" + name + "')");
    Entry e = entries.get(next);
    if (!e.name().equals(name) || !Arrays.equals(e.shape(), value.shape())) {
      failed = true;
      throw new IllegalStateException(file + ": expected '" + e.name() + "' " + Arrays.toString(e.shape()) + ", got '"
          + name + "' " + Arrays.toString(value.shape()));
    }
    try {
      writeFloats(out, value.data(), e.dtype());
    } catch (IOException ex) {
      failed = true;
      throw new InvalidInputException(file + ": cannot write safetensors file: " + ex.getMessage(), ex);
    }
    next++;
  }

  /** Finishes the file; one closed before every declared tensor was written is deleted. */
  @Override
  public void close() {
    boolean complete = next == entries.size() && !failed;
    try {
      out.close();
    } catch (IOException e) {
      deleteQuietly(file);
      throw new InvalidInputException(file + ": cannot write safetensors file: " + e.getMessage(), e);
    }
    if (!complete) {
      deleteQuietly(file);
      if (!failed) {
        throw new IllegalStateException(file + ": closed after " + next + " of " + entries.size() + " tensors");
      }
    }
  }

  /** Closes and deletes the file after a failure elsewhere, without throwing. */
  public void abort() {
    closeQuietly(out);
    deleteQuietly(file);
  }

  /** {@code x} as the nearest value of {@code dtype} (round to nearest even), as a float. */
  public static float round(float x, SafetensorsDType dtype) {
    return switch (dtype) {
      case F32 -> x;
      case F16 -> HalfFloats.float16ToFloat(HalfFloats.floatToFloat16(x));
      case BF16 -> HalfFloats.bfloat16ToFloat(HalfFloats.floatToBfloat16(x));
      default -> throw new IllegalArgumentException(dtype + " is not a floating-point dtype");
    };
  }

  private static byte[] header(Map<String, String> metadata, List<Entry> entries) {
    ObjectNode root = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = root.putObject(SafetensorsFile.METADATA_KEY);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Entry e : entries) {
      if (root.has(e.name()) || e.name().equals(SafetensorsFile.METADATA_KEY)) {
        throw new IllegalArgumentException("tensor '" + e.name() + "' declared twice or reserved");
      }
      ObjectNode entry = root.putObject(e.name());
      entry.put("dtype", e.dtype().name());
      ArrayNode shapeNode = entry.putArray("shape");
      for (long d : e.shape()) shapeNode.add(d);
      entry.putArray("data_offsets").add(offset).add(offset + e.byteLength());
      offset += e.byteLength();
    }
    String text;
    try {
      text = JSON.writeValueAsString(root);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("cannot serialise safetensors header", ex);
    }
    StringBuilder padded = new StringBuilder(text);
    while (padded.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) padded.append(' ');
    return padded.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Writes {@code data} as {@code dtype}, little-endian, in 64 K-element chunks. */
  static void writeFloats(OutputStream out, float[] data, SafetensorsDType dtype) throws IOException {
    final int chunk = 1 << 16;
    ByteBuffer buf = ByteBuffer.allocate(chunk * dtype.bytesPerElement()).order(ByteOrder.LITTLE_ENDIAN);
    for (int start = 0; start < data.length; start += chunk) {
      int count = Math.min(chunk, data.length - start);
      buf.clear();
      switch (dtype) {
        case F32 -> buf.asFloatBuffer().put(data, start, count);
        case F16 -> { for (int i = 0; i < count; i++) buf.putShort(HalfFloats.floatToFloat16(data[start + i])); }
        case BF16 -> { for (int i = 0; i < count; i++) buf.putShort(HalfFloats.floatToBfloat16(data[start + i])); }
        default -> throw new IllegalArgumentException(dtype + " is not a floating-point dtype");
      }
      out.write(buf.array(), 0, count * dtype.bytesPerElement());
    }
  }

  private static void closeQuietly(OutputStream out) {
    try {
      if (out != null) out.close();
    } catch (IOException ignored) {
      // the file is deleted next
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // best effort on a failed write
    }
  }
}
