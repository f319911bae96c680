package org.moellava.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.moellava.config.ModelConfig;
import org.moellava.config.ModelConfigIO;
import org.moellava.error.InvalidInputException;
import org.moellava.tensor.TensorValue;
import org.moellava.io.AtomicFiles;

/**
 * Writes a whole checkpoint directory atomically: everything goes into a hidden staging directory beside the
 * target, which is renamed into place only when complete. A failure at any point leaves no target (or the
 * previous target untouched) and removes the staging directory.
 */
public final class CheckpointWriter {
  private final Consumer<Path> beforePublish;

  /** A writer. */
  public CheckpointWriter() {
    this(staging -> { });
  }

  /** A writer that calls {@code beforePublish} with the filled staging directory just before publishing it. */
  CheckpointWriter(Consumer<Path> beforePublish) {
    this.beforePublish = beforePublish;
  }

  /**
   * Writes a checkpoint to {@code target}, replacing any existing one.
   *
   * @param tokenizerJson the bytes of {@code tokenizer.json}, or null for none
   * @param variables the variables by name ({@code org.moellava.graph.variables.VariableNames}); at least one
   * @return {@code target}
   */
  public Path write(Path target, ModelConfig config, byte[] tokenizerJson, Map<String, TensorValue> variables,
      TrainingState state) {
    return write(target, config, tokenizerJson, variables, state, Map.of());
  }

  /**
   * Writes a checkpoint with additional files (for example {@code hf_inert.safetensors} from an import).
   *
   * @param extraFiles plain file names (no directories) and their bytes; they may not take a checkpoint
   *     file's name
   */
  public Path write(Path target, ModelConfig config, byte[] tokenizerJson, Map<String, TensorValue> variables,
      TrainingState state, Map<String, byte[]> extraFiles) {
    if (variables.isEmpty()) {
      throw new IllegalArgumentException("a checkpoint needs at least one variable");
    }
    for (String name : extraFiles.keySet()) {
      if (CheckpointFiles.RESERVED.contains(name) || name.contains("/") || name.contains("\\")
          || name.startsWith(".") || name.isEmpty()) {
        throw new IllegalArgumentException("extra checkpoint file name '" + name + "' is not allowed");
      }
    }
    Path staging = AtomicFiles.stagingDirectoryFor(target);
    try {
      fill(staging, config, tokenizerJson, new TreeMap<>(variables), state, extraFiles);
      beforePublish.accept(staging);
      AtomicFiles.publishDirectory(staging, target);
      return target;
    } catch (RuntimeException e) {
      AtomicFiles.deleteRecursively(staging);
      throw e;
    }
  }

  private static void fill(Path dir, ModelConfig config, byte[] tokenizerJson, Map<String, TensorValue> variables,
      TrainingState state, Map<String, byte[]> extraFiles) {
    try {
      Files.writeString(dir.resolve(CheckpointFiles.CONFIG), ModelConfigIO.toJson(config));
      if (tokenizerJson != null) {
        Files.write(dir.resolve(CheckpointFiles.TOKENIZER), tokenizerJson);
      }
      for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
        Files.write(dir.resolve(e.getKey()), e.getValue());
      }
      Path variablesDir = Files.createDirectories(CheckpointFiles.variablesDir(dir));
      TfVariableStore.save(variables, CheckpointFiles.variablesPrefix(dir));
      List<VariableSpec> specs = new ArrayList<>();
      variables.forEach((name, value) -> specs.add(new VariableSpec(name, VariableSpec.FLOAT32,
          java.util.Arrays.stream(value.shape()).boxed().toList())));
      Files.write(variablesDir.resolve(CheckpointFiles.MANIFEST), CheckpointJson.toBytes(new VariableManifest(specs)));
      // state.json last: its presence marks a complete checkpoint
      Files.write(dir.resolve(CheckpointFiles.STATE), CheckpointJson.toBytes(state));
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot write checkpoint: " + e.getMessage(), e);
    }
  }
}
