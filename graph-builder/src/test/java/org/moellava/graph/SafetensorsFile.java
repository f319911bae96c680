package org.moellava.graph;

import org.moellava.tensor.TensorValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** A minimal safetensors reader for the HF reference fixtures (F32 and I64 tensors). */
final class SafetensorsFile {
  private final Map<String, JsonNode> entries = new LinkedHashMap<>();
  private final ByteBuffer data;

  SafetensorsFile(Path file) throws IOException {
    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = (int) all.getLong(0);
    JsonNode header = new ObjectMapper().readTree(new String(all.array(), 8, headerLength, StandardCharsets.UTF_8));
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().equals("__metadata__")) entries.put(e.getKey(), e.getValue());
    }
    all.position(8 + headerLength);
    data = all.slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  Iterable<String> names() {
    return entries.keySet();
  }

  long[] shape(String name) {
    JsonNode s = entry(name).get("shape");
    long[] shape = new long[s.size()];
    for (int i = 0; i < shape.length; i++) shape[i] = s.get(i).asLong();
    return shape;
  }

  TensorValue floats(String name) {
    JsonNode e = entry(name);
    if (!e.get("dtype").asText().equals("F32")) throw new IllegalArgumentException(name + " is not F32");
    int begin = e.get("data_offsets").get(0).asInt();
    float[] out = new float[(e.get("data_offsets").get(1).asInt() - begin) / 4];
    for (int i = 0; i < out.length; i++) out[i] = data.getFloat(begin + 4 * i);
    return new TensorValue(shape(name), out);
  }

  int[] longsAsInts(String name) {
    JsonNode e = entry(name);
    int begin = e.get("data_offsets").get(0).asInt();
    int[] out = new int[(e.get("data_offsets").get(1).asInt() - begin) / 8];
    for (int i = 0; i < out.length; i++) out[i] = Math.toIntExact(data.getLong(begin + 8 * i));
    return out;
  }

  private JsonNode entry(String name) {
    JsonNode e = entries.get(name);
    if (e == null) throw new IllegalArgumentException("no tensor " + name);
    return e;
  }
}
