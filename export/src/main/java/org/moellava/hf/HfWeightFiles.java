package org.moellava.hf;

import org.moellava.error.JsonErrors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;
import org.moellava.safetensors.SafetensorsEntry;
import org.moellava.safetensors.SafetensorsFile;

/**
 * The weights of a Hugging Face folder: {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json}. Keys are exposed in their canonical form ({@link HfKeyLayout}).
 */
final class HfWeightFiles implements AutoCloseable {
  static final String SINGLE = "model.safetensors";
  static final String INDEX = "model.safetensors.index.json";

  /**
   * Writes {@code dir/model.safetensors.index.json} as transformers writes it: {@code metadata.total_size} (bytes of
   * tensor data) and {@code weight_map} (tensor name to shard file), in {@code weightMap}'s order.
   */
  static void writeIndex(Path dir, long totalSize, Map<String, String> weightMap) throws IOException {
    ObjectMapper json = new ObjectMapper().enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
    com.fasterxml.jackson.databind.node.ObjectNode index = json.createObjectNode();
    index.putObject("metadata").put("total_size", totalSize);
    com.fasterxml.jackson.databind.node.ObjectNode map = index.putObject("weight_map");
    weightMap.forEach(map::put);
    Files.writeString(dir.resolve(INDEX), json.writeValueAsString(index) + "\n");
  }

  private record Location(SafetensorsFile file, String key) {}

  private final List<SafetensorsFile> files;
  private final Map<String, Location> byKey;

  private HfWeightFiles(List<SafetensorsFile> files, Map<String, Location> byKey) {
    this.files = files;
    this.byKey = byKey;
  }

  /** Opens and validates every weight file of {@code dir}, keys canonicalised by {@link HfKeyLayout}. */
  static HfWeightFiles open(Path dir) {
    return open(dir, HfKeyLayout::canonical);
  }

  /**
   * Opens and validates every weight file of {@code dir}, exposing each key as {@code canonical} rewrites it. A folder
   * with only PyTorch pickle weights ({@code *.bin}, {@code *.pt}, {@code *.pth}) is refused with how to convert it:
   * unpickling can run arbitrary code, and this project reads safetensors only.
   */
  static HfWeightFiles open(Path dir, java.util.function.UnaryOperator<String> canonical) {
    Path single = dir.resolve(SINGLE);
    Path index = dir.resolve(INDEX);
    List<SafetensorsFile> opened = new ArrayList<>();
    Map<String, Location> byKey = new TreeMap<>();
    try {
      if (Files.isRegularFile(single)) {
        SafetensorsFile f = SafetensorsFile.open(single);
        opened.add(f);
        for (String key : f.names()) add(byKey, f, key, canonical);
      } else if (Files.isRegularFile(index)) {
        Map<String, List<String>> keysByShard = readIndex(index);
        if (keysByShard.isEmpty()) throw new InvalidInputException(index + ": 'weight_map' lists no tensors");
        for (Map.Entry<String, List<String>> shard : keysByShard.entrySet()) {
          Path shardPath = dir.resolve(shard.getKey());
          if (!Files.isRegularFile(shardPath)) {
            throw new InvalidInputException(index + ": weight_map names shard '" + shard.getKey()
                + "', which does not exist");
          }
          SafetensorsFile f = SafetensorsFile.open(shardPath);
          opened.add(f);
          for (String key : shard.getValue()) {
            if (!f.contains(key)) {
              throw new InvalidInputException(index + ": weight_map puts tensor '" + key + "' in " + shard.getKey()
                  + ", but that file has no such tensor");
            }
            add(byKey, f, key, canonical);
          }
          for (String key : f.names()) {
            if (!shard.getValue().contains(key)) {
              throw new InvalidInputException(shardPath + ": tensor '" + key + "' is not listed in " + INDEX);
            }
          }
        }
      } else {
        refusePickle(dir);
        throw new InvalidInputException(dir + ": missing " + SINGLE + " (or " + INDEX + " with its shards)");
      }
      return new HfWeightFiles(opened, byKey);
    } catch (RuntimeException e) {
      opened.forEach(SafetensorsFile::close);
      throw e;
    }
  }

  /** A folder whose weights are PyTorch pickles: one line saying so and how to convert them. */
  private static void refusePickle(Path dir) {
    List<String> pickles = new ArrayList<>();
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".bin.index.json"))
          .sorted().forEach(pickles::add);
    } catch (IOException e) {
      return;
    }
    if (pickles.isEmpty()) return;
    throw new InvalidInputException(dir + ": " + pickles.get(0) + " is a PyTorch pickle checkpoint, which is not read"
        + " (unpickling can run code); convert it to safetensors first, e.g. with transformers: "
        + "AutoModelForCausalLM.from_pretrained(DIR, trust_remote_code=True).save_pretrained(OUT, "
        + "safe_serialization=True), or for a plain state dict safetensors.torch.save_file(torch.load(FILE), "
        + "'model.safetensors')");
  }

  private static void add(Map<String, Location> byKey, SafetensorsFile f, String key,
      java.util.function.UnaryOperator<String> canonicalizer) {
    String canonical = canonicalizer.apply(key);
    Location previous = byKey.put(canonical, new Location(f, key));
    if (previous != null) {
      throw new InvalidInputException(f.file() + ": tensor '" + key + "' duplicates '" + previous.key() + "' in "
          + previous.file().file().getFileName());
    }
  }

  private static Map<String, List<String>> readIndex(Path index) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readAllBytes(index));
    } catch (IOException e) {
      throw new InvalidInputException(index + ": cannot read or parse: " + JsonErrors.describe(e), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new InvalidInputException(index + ": missing object 'weight_map'");
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String shard = e.getValue().asText("");
      if (!e.getValue().isTextual() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
        throw new InvalidInputException(index + ": weight_map['" + e.getKey() + "'] must name a shard file in "
            + "the same folder, got " + e.getValue());
      }
      out.computeIfAbsent(shard, s -> new ArrayList<>()).add(e.getKey());
    }
    return out;
  }

  /** Canonical keys of every tensor. */
  Set<String> keys() {
    return byKey.keySet();
  }

  boolean contains(String canonicalKey) {
    return byKey.containsKey(canonicalKey);
  }

  /** The header entry of a tensor. */
  SafetensorsEntry entry(String canonicalKey) {
    Location l = byKey.get(canonicalKey);
    return l.file().entry(l.key());
  }

  /** The file and key a canonical key came from, for messages: {@code model.safetensors: tensor 'k'}. */
  String describe(String canonicalKey) {
    Location l = byKey.get(canonicalKey);
    return l.file().file() + ": tensor '" + l.key() + "'";
  }

  /** The file name (within the folder) a canonical key is stored in. */
  String fileName(String canonicalKey) {
    return byKey.get(canonicalKey).file().file().getFileName().toString();
  }

  /** The {@code __metadata__} of the file a canonical key is stored in. */
  Map<String, String> metadata(String canonicalKey) {
    return byKey.get(canonicalKey).file().metadata();
  }

  /** Whether the weights came from shards listed in {@code model.safetensors.index.json}. */
  boolean sharded() {
    return !files.isEmpty() && !files.get(0).file().getFileName().toString().equals(SINGLE);
  }

  /** Reads a tensor as float32. */
  TensorValue read(String canonicalKey) {
    Location l = byKey.get(canonicalKey);
    return l.file().readFloat(l.key());
  }

  /** The file weights were read from, for messages when a key is missing. */
  String source() {
    return files.size() == 1 ? files.get(0).file().toString()
        : files.get(0).file().getParent().resolve(INDEX).toString();
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
