package org.moellava.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;

/**
 * A safetensors file opened for reading: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then the data.
 *
 * <p>Opening validates the whole header against the file size: a header length past the end of the file,
 * offsets out of range or overlapping, a byte count that does not match shape and dtype, or an unsupported
 * dtype fail with an {@link InvalidInputException} naming the file and the key. Tensor data is read through a
 * memory map of just that tensor's bytes. Close the file to release its channel.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Header size limit of the safetensors format (100 MB). */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
  static final String METADATA_KEY = "__metadata__";

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  private final Path file;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, SafetensorsEntry> entries;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, SafetensorsEntry> entries,
      Map<String, String> metadata) {
    this.file = file;
    this.channel = channel;
    this.dataStart = dataStart;
    this.entries = entries;
    this.metadata = metadata;
  }

  /** Opens and validates {@code file}. */
  public static SafetensorsFile open(Path file) {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": file not found");
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot open: " + e.getMessage(), e);
    }
    try {
      return readHeader(file, channel);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static SafetensorsFile readHeader(Path file, FileChannel channel) {
    try {
      long size = channel.size();
      if (size < 8) {
        throw new InvalidInputException(file + ": not a safetensors file: " + size
            + " bytes is too short for the 8-byte header length");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
        throw new InvalidInputException(file + ": header length " + Long.toUnsignedString(headerLength)
            + " is not a valid safetensors header length (2.." + MAX_HEADER_BYTES + " bytes)");
      }
      if (8 + headerLength > size) {
        throw new InvalidInputException(file + ": header length " + headerLength + " runs past the end of the file ("
            + size + " bytes): the file is truncated or not a safetensors file");
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      String headerText = new String(headerBytes.array(), StandardCharsets.UTF_8);
      long dataStart = 8 + headerLength;
      return parseHeader(file, channel, headerText, dataStart, size - dataStart);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static SafetensorsFile parseHeader(Path file, FileChannel channel, String headerText, long dataStart,
      long dataSize) {
    JsonNode root;
    try {
      root = JSON.readTree(headerText);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(file + ": header is not valid JSON: " + firstLine(e.getOriginalMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidInputException(file + ": header is not a JSON object");
    }
    Map<String, SafetensorsEntry> entries = new TreeMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String key = field.getKey();
      if (key.equals(METADATA_KEY)) {
        readMetadata(file, field.getValue(), metadata);
      } else {
        entries.put(key, parseEntry(file, key, field.getValue(), dataSize));
      }
    }
    checkNoOverlap(file, entries.values());
    return new SafetensorsFile(file, channel, dataStart, Collections.unmodifiableMap(entries),
        Collections.unmodifiableMap(metadata));
  }

  private static void readMetadata(Path file, JsonNode node, Map<String, String> metadata) {
    if (!node.isObject()) {
      throw new InvalidInputException(file + ": '" + METADATA_KEY + "' must be an object of strings");
    }
    node.fields().forEachRemaining(e -> {
      if (!e.getValue().isTextual()) {
        throw new InvalidInputException(file + ": '" + METADATA_KEY + "." + e.getKey() + "' must be a string");
      }
      metadata.put(e.getKey(), e.getValue().asText());
    });
  }

  private static SafetensorsEntry parseEntry(Path file, String key, JsonNode node, long dataSize) {
    String where = file + ": tensor '" + key + "'";
    if (!node.isObject()) throw new InvalidInputException(where + ": header entry is not an object");
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new InvalidInputException(where + ": missing or non-string 'dtype'");
    }
    SafetensorsDType dtype = SafetensorsDType.fromHeaderName(dtypeNode.asText()).orElseThrow(
        () -> new InvalidInputException(where + ": unsupported dtype '" + dtypeNode.asText()
            + "' (supported: F32, F16, BF16, I64, I32)"));
    long[] shape = longArray(where, node.get("shape"), "shape", -1);
    long[] offsets = longArray(where, node.get("data_offsets"), "data_offsets", 2);
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end) {
      throw new InvalidInputException(where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
    }
    if (end > dataSize) {
      throw new InvalidInputException(where + ": data_offsets [" + begin + ", " + end + "] run past the end of the"
          + " data (" + dataSize + " bytes): the file is truncated or the offsets are out of range");
    }
    long elements = 1;
    for (long d : shape) {
      elements = Math.multiplyExact(elements, d);
    }
    long expectedBytes = Math.multiplyExact(elements, (long) dtype.bytesPerElement());
    if (end - begin != expectedBytes) {
      throw new InvalidInputException(where + ": " + (end - begin) + " bytes of data, but shape "
          + Arrays.toString(shape) + " of " + dtype + " needs " + expectedBytes);
    }
    return new SafetensorsEntry(key, dtype, shape, begin, end);
  }

  private static long[] longArray(String where, JsonNode node, String field, int requiredLength) {
    if (node == null || !node.isArray() || (requiredLength >= 0 && node.size() != requiredLength)) {
      throw new InvalidInputException(where + ": '" + field + "' must be a list"
          + (requiredLength >= 0 ? " of " + requiredLength + " integers" : " of integers"));
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
        throw new InvalidInputException(where + ": '" + field + "' must hold non-negative integers, got " + node);
      }
      out[i] = v.asLong();
    }
    return out;
  }

  private static void checkNoOverlap(Path file, Iterable<SafetensorsEntry> all) {
    List<SafetensorsEntry> nonEmpty = new ArrayList<>();
    for (SafetensorsEntry e : all) {
      if (e.byteLength() > 0) nonEmpty.add(e);
    }
    nonEmpty.sort(Comparator.comparingLong(SafetensorsEntry::begin));
    for (int i = 1; i < nonEmpty.size(); i++) {
      SafetensorsEntry prev = nonEmpty.get(i - 1);
      SafetensorsEntry cur = nonEmpty.get(i);
      if (cur.begin() < prev.end()) {
        throw new InvalidInputException(file + ": tensor '" + cur.name() + "': data_offsets [" + cur.begin() + ", "
            + cur.end() + "] overlap those of tensor '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "]");
      }
    }
  }

  /** The file this was opened from. */
  public Path file() {
    return file;
  }

  /** The {@code __metadata__} strings (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The tensor keys, sorted. */
  public SortedSet<String> names() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(entries.keySet()));
  }

  /** Whether a tensor called {@code name} exists. */
  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /** The header entry of {@code name}. */
  public SafetensorsEntry entry(String name) {
    SafetensorsEntry e = entries.get(name);
    if (e == null) throw new InvalidInputException(file + ": no tensor '" + name + "'");
    return e;
  }

  /** Reads a floating-point tensor (F32, F16 or BF16) as float32. */
  public TensorValue readFloat(String name) {
    SafetensorsEntry e = entry(name);
    if (!e.dtype().isFloatingPoint()) {
      throw new InvalidInputException(file + ": tensor '" + name + "': expected a floating-point dtype, got " + e.dtype());
    }
    ByteBuffer bytes = map(e);
    float[] out = new float[elementCount(e)];
    switch (e.dtype()) {
      case F32 -> bytes.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < out.length; i++) out[i] = HalfFloats.float16ToFloat(bytes.getShort(2 * i));
      }
      case BF16 -> {
        for (int i = 0; i < out.length; i++) out[i] = HalfFloats.bfloat16ToFloat(bytes.getShort(2 * i));
      }
      default -> throw new IllegalStateException("unreachable: " + e.dtype());
    }
    return new TensorValue(e.shape().clone(), out);
  }

  /** Reads an integer tensor (I64 or I32) as int64. */
  public LongTensorValue readLong(String name) {
    SafetensorsEntry e = entry(name);
    if (e.dtype() != SafetensorsDType.I64 && e.dtype() != SafetensorsDType.I32) {
      throw new InvalidInputException(file + ": tensor '" + name + "': expected an integer dtype, got " + e.dtype());
    }
    ByteBuffer bytes = map(e);
    long[] out = new long[elementCount(e)];
    if (e.dtype() == SafetensorsDType.I64) {
      bytes.asLongBuffer().get(out);
    } else {
      for (int i = 0; i < out.length; i++) out[i] = bytes.getInt(4 * i);
    }
    return new LongTensorValue(e.shape().clone(), out);
  }

  /** The raw little-endian bytes of {@code name}'s data. */
  public byte[] readRawBytes(String name) {
    SafetensorsEntry e = entry(name);
    ByteBuffer bytes = map(e);
    byte[] out = new byte[(int) e.byteLength()];
    bytes.get(out);
    return out;
  }

  private int elementCount(SafetensorsEntry e) {
    if (e.numElements() > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(file + ": tensor '" + e.name() + "': " + e.numElements()
          + " elements do not fit in one Java array");
    }
    return (int) e.numElements();
  }

  private ByteBuffer map(SafetensorsEntry e) {
    if (e.byteLength() == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
    if (e.byteLength() > Integer.MAX_VALUE) {
      throw new InvalidInputException(file + ": tensor '" + e.name() + "': " + e.byteLength()
          + " bytes are too many for one memory map");
    }
    try {
      MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.byteLength());
      return mapped.order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException ex) {
      throw new InvalidInputException(file + ": tensor '" + e.name() + "': cannot read data: " + ex.getMessage(), ex);
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = channel.read(dst, pos);
      if (n < 0) throw new IOException("unexpected end of file at byte " + pos);
      pos += n;
    }
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing more to release
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot close: " + e.getMessage(), e);
    }
  }
}
