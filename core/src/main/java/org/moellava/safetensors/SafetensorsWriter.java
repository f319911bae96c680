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
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;

/**
 * Writes a safetensors file of F32, F16, BF16 and I64 tensors, atomically (a hidden temporary sibling, then a rename).
 *
 * <p>Layout follows the reference implementation: {@code __metadata__} first, then the tensors ordered by
 * element width (widest first) and then by key, data in the same order without gaps, and the header padded
 * with spaces to a multiple of 8 bytes. For a file of F32 tensors only, that is simply sorted keys.
 */
public final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final Map<String, Object> tensors = new TreeMap<>();

  /** Adds a {@code __metadata__} entry, for example {@code format=pt}. */
  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** Adds an F32 tensor. */
  public SafetensorsWriter addFloat(String name, TensorValue tensor) {
    put(name, tensor);
    return this;
  }

  /**
   * Adds a floating-point tensor stored as {@code dtype} (F32, F16 or BF16), rounding to nearest even: a value read
   * from a tensor of that dtype is written back bit for bit.
   */
  public SafetensorsWriter addFloat(String name, TensorValue tensor, SafetensorsDType dtype) {
    if (!dtype.isFloatingPoint()) throw new IllegalArgumentException(dtype + " is not a floating-point dtype");
    put(name, dtype == SafetensorsDType.F32 ? tensor : new Narrowed(tensor, dtype));
    return this;
  }

  /** A float tensor to be written as F16 or BF16. */
  private record Narrowed(TensorValue tensor, SafetensorsDType dtype) {}

  /** Adds an I64 tensor. */
  public SafetensorsWriter addLong(String name, LongTensorValue tensor) {
    put(name, tensor);
    return this;
  }

  private void put(String name, Object tensor) {
    if (name.equals(SafetensorsFile.METADATA_KEY)) {
      throw new IllegalArgumentException("'" + name + "' is reserved for metadata");
    }
    if (tensors.putIfAbsent(name, tensor) != null) {
      throw new IllegalArgumentException("tensor '" + name + "' added twice");
    }
  }

  /** Writes the file; an existing file is replaced only once the new one is complete. */
  public void write(Path target) {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
        writeTo(out);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new InvalidInputException(target + ": cannot write safetensors file: " + e.getMessage(), e);
    }
  }

  /** The whole file as bytes (for small files). */
  public byte[] toBytes() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      writeTo(out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Streams the file's bytes to {@code out}. */
  public void writeTo(OutputStream out) throws IOException {
    List<String> order = new ArrayList<>(tensors.keySet());
    order.sort(Comparator.comparingInt((String n) -> -dtypeOf(tensors.get(n)).bytesPerElement())
        .thenComparing(Comparator.naturalOrder()));
    byte[] header = header(order);
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
    out.write(header);
    for (String name : order) {
      writeData(out, tensors.get(name));
    }
  }

  private byte[] header(List<String> order) {
    ObjectNode root = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = root.putObject(SafetensorsFile.METADATA_KEY);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (String name : order) {
      Object t = tensors.get(name);
      SafetensorsDType dtype = dtypeOf(t);
      Object v = t instanceof Narrowed n ? n.tensor() : t;
      long[] shape = v instanceof TensorValue f ? f.shape() : ((LongTensorValue) v).shape();
      long bytes = (v instanceof TensorValue f ? f.numElements() : ((LongTensorValue) v).numElements())
          * dtype.bytesPerElement();
      ObjectNode entry = root.putObject(name);
      entry.put("dtype", dtype.name());
      ArrayNode shapeNode = entry.putArray("shape");
      for (long d : shape) shapeNode.add(d);
      entry.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    String text;
    try {
      text = JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise safetensors header", e);
    }
    StringBuilder padded = new StringBuilder(text);
    while (padded.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) padded.append(' ');
    return padded.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static SafetensorsDType dtypeOf(Object tensor) {
    if (tensor instanceof Narrowed n) return n.dtype();
    return tensor instanceof TensorValue ? SafetensorsDType.F32 : SafetensorsDType.I64;
  }

  private static void writeData(OutputStream out, Object tensor) throws IOException {
    final int chunk = 1 << 16;
    if (tensor instanceof Narrowed n) {
      float[] data = n.tensor().data();
      ByteBuffer buf = ByteBuffer.allocate(chunk * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int start = 0; start < data.length; start += chunk) {
        int count = Math.min(chunk, data.length - start);
        buf.clear();
        for (int i = 0; i < count; i++) {
          float x = data[start + i];
          buf.putShort(n.dtype() == SafetensorsDType.F16 ? HalfFloats.floatToFloat16(x) : HalfFloats.floatToBfloat16(x));
        }
        out.write(buf.array(), 0, count * 2);
      }
    } else if (tensor instanceof TensorValue f) {
      float[] data = f.data();
      ByteBuffer buf = ByteBuffer.allocate(chunk * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (int start = 0; start < data.length; start += chunk) {
        int n = Math.min(chunk, data.length - start);
        buf.clear();
        buf.asFloatBuffer().put(data, start, n);
        out.write(buf.array(), 0, n * 4);
      }
    } else {
      long[] data = ((LongTensorValue) tensor).data();
      ByteBuffer buf = ByteBuffer.allocate(chunk * 8).order(ByteOrder.LITTLE_ENDIAN);
      for (int start = 0; start < data.length; start += chunk) {
        int n = Math.min(chunk, data.length - start);
        buf.clear();
        buf.asLongBuffer().put(data, start, n);
        out.write(buf.array(), 0, n * 8);
      }
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      if (p != null) Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a hidden temporary file; harmless
    }
  }
}
