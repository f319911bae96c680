package org.moellava.checkpoint;

import org.moellava.error.JsonErrors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.moellava.config.ModelConfig;
import org.moellava.config.ModelConfigIO;
import org.moellava.error.ConfigException;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;

/**
 * Reads a checkpoint directory written by {@link CheckpointWriter}: config, state, tokenizer, extra files,
 * and all or some of the variables. {@link #open} checks that the directory is complete.
 */
public final class CheckpointReader {
  private final Path dir;
  private final VariableManifest manifest;

  private CheckpointReader(Path dir, VariableManifest manifest) {
    this.dir = dir;
    this.manifest = manifest;
  }

  /**
   * Opens {@code dir}.
   *
   * @throws InvalidInputException naming the file when the directory, its config, state or manifest is missing
   *     or the manifest is corrupt
   */
  public static CheckpointReader open(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidInputException(dir + ": checkpoint directory not found");
    }
    for (String required : List.of(CheckpointFiles.CONFIG, CheckpointFiles.STATE)) {
      if (!Files.isRegularFile(dir.resolve(required))) {
        throw new InvalidInputException(dir.resolve(required) + ": missing: not a complete checkpoint");
      }
    }
    Path manifestFile = CheckpointFiles.manifest(dir);
    VariableManifest manifest = CheckpointJson.read(manifestFile, VariableManifest.class);
    Set<String> seen = new LinkedHashSet<>();
    for (VariableSpec spec : manifest.variables()) {
      if (!seen.add(spec.name())) {
        throw new InvalidInputException(manifestFile + ": variable '" + spec.name() + "' is listed twice");
      }
      if (!VariableSpec.FLOAT32.equals(spec.dtype())) {
        throw new InvalidInputException(manifestFile + ": variable '" + spec.name() + "' has unsupported dtype '"
            + spec.dtype() + "' (supported: float32)");
      }
      if (spec.shape().stream().anyMatch(d -> d == null || d < 0)) {
        throw new InvalidInputException(manifestFile + ": variable '" + spec.name() + "' has an invalid shape "
            + spec.shape());
      }
    }
    return new CheckpointReader(dir, manifest);
  }

  /** The checkpoint directory. */
  public Path directory() {
    return dir;
  }

  /** The model config in {@code config.json}. */
  public ModelConfig config() {
    return ModelConfigIO.read(dir.resolve(CheckpointFiles.CONFIG));
  }

  /**
   * The model config, checked against {@code expected}. Only the model is compared: the {@code training}
   * section may differ.
   *
   * @throws ConfigException naming the first field that differs
   */
  public ModelConfig config(ModelConfig expected) {
    ModelConfig actual = config();
    JsonNode a = CheckpointJson.MAPPER.valueToTree(actual);
    JsonNode e = CheckpointJson.MAPPER.valueToTree(expected);
    ((ObjectNode) a).remove("training");
    ((ObjectNode) e).remove("training");
    firstDifference("", a, e).ifPresent(diff -> {
      throw new ConfigException(dir.resolve(CheckpointFiles.CONFIG) + ": does not match the expected config: "
          + diff);
    });
    return actual;
  }

  private static Optional<String> firstDifference(String path, JsonNode actual, JsonNode expected) {
    if (actual.isObject() && expected.isObject()) {
      Set<String> keys = new LinkedHashSet<>();
      actual.fieldNames().forEachRemaining(keys::add);
      expected.fieldNames().forEachRemaining(keys::add);
      for (String key : keys) {
        String p = path.isEmpty() ? key : path + "." + key;
        JsonNode av = actual.get(key);
        JsonNode ev = expected.get(key);
        if (av == null || ev == null) {
          return Optional.of(p + " is " + av + " but expected " + ev);
        }
        Optional<String> d = firstDifference(p, av, ev);
        if (d.isPresent()) return d;
      }
      return Optional.empty();
    }
    return actual.equals(expected) ? Optional.empty()
        : Optional.of((path.isEmpty() ? "value" : path) + " is " + actual + " but expected " + expected);
  }

  /** The training state in {@code state.json}. */
  public TrainingState state() {
    return CheckpointJson.read(dir.resolve(CheckpointFiles.STATE), TrainingState.class);
  }

  /** The bytes of {@code tokenizer.json}, if the checkpoint has one. */
  public Optional<byte[]> tokenizerJson() {
    return readOptional(CheckpointFiles.TOKENIZER);
  }

  /** The bytes of an extra file written with the checkpoint, if present. */
  public Optional<byte[]> extraFile(String name) {
    if (CheckpointFiles.RESERVED.contains(name) || name.contains("/") || name.startsWith(".")) {
      throw new IllegalArgumentException("'" + name + "' is not an extra file name");
    }
    return readOptional(name);
  }

  private Optional<byte[]> readOptional(String name) {
    Path file = dir.resolve(name);
    if (!Files.isRegularFile(file)) return Optional.empty();
    try {
      return Optional.of(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + JsonErrors.describe(e), e);
    }
  }

  /** Every variable's name, dtype and shape, sorted by name. */
  public List<VariableSpec> variables() {
    return manifest.variables();
  }

  /** Reads every variable. */
  public Map<String, TensorValue> readVariables() {
    return TfVariableStore.restore(CheckpointFiles.variablesPrefix(dir), manifest.variables());
  }

  /**
   * Reads the named variables, in the order given.
   *
   * @throws InvalidInputException naming the manifest when a name is not in the checkpoint
   */
  public Map<String, TensorValue> readVariables(Collection<String> names) {
    Map<String, VariableSpec> byName = new LinkedHashMap<>();
    manifest.variables().forEach(s -> byName.put(s.name(), s));
    List<VariableSpec> chosen = new ArrayList<>();
    for (String name : new LinkedHashSet<>(names)) {
      VariableSpec spec = byName.get(name);
      if (spec == null) {
        throw new InvalidInputException(CheckpointFiles.manifest(dir) + ": the checkpoint has no variable '"
            + name + "'");
      }
      chosen.add(spec);
    }
    if (chosen.isEmpty()) return Map.of();
    return TfVariableStore.restore(CheckpointFiles.variablesPrefix(dir), chosen);
  }

  /**
   * The named variables as a read-only map that restores a variable from disk each time it is asked for, so that a
   * model larger than memory is never held whole: values of at most {@link LazyVariables#CACHE_LIMIT} bytes (norms,
   * biases, the whole of a small model) are kept after the first read, larger ones are read again on every
   * {@code get}. Iterating its entries is refused (it would read everything at once).
   *
   * @throws InvalidInputException naming the manifest when a name is not in the checkpoint
   */
  public Map<String, TensorValue> lazyVariables(Collection<String> names) {
    Map<String, VariableSpec> byName = new LinkedHashMap<>();
    manifest.variables().forEach(s -> byName.put(s.name(), s));
    Map<String, VariableSpec> chosen = new LinkedHashMap<>();
    for (String name : new LinkedHashSet<>(names)) {
      VariableSpec spec = byName.get(name);
      if (spec == null) {
        throw new InvalidInputException(CheckpointFiles.manifest(dir) + ": the checkpoint has no variable '"
            + name + "'");
      }
      chosen.put(name, spec);
    }
    return new LazyVariables(CheckpointFiles.variablesPrefix(dir), chosen);
  }
}
