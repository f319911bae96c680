package org.moellava.checkpoint;

import java.nio.file.Path;
import java.util.Set;

/** The names of the files in a checkpoint directory (docs/architecture.md §3). */
public final class CheckpointFiles {
  private CheckpointFiles() {}

  /** The model config ({@code ModelConfigIO}). */
  public static final String CONFIG = "config.json";
  /** The Hugging Face tokenizer, copied byte for byte; optional. */
  public static final String TOKENIZER = "tokenizer.json";
  /** Stage, step, data cursor, seed, metrics. */
  public static final String STATE = "state.json";
  /** The directory of the TensorFlow checkpoint. */
  public static final String VARIABLES_DIR = "variables";
  /** The TensorFlow checkpoint prefix inside {@link #VARIABLES_DIR} ({@code variables/variables.index}, ...). */
  public static final String VARIABLES_PREFIX = "variables";
  /** Every variable's name, dtype and shape, inside {@link #VARIABLES_DIR}. */
  public static final String MANIFEST = "manifest.json";

  /** Names an extra file may not take. */
  static final Set<String> RESERVED = Set.of(CONFIG, TOKENIZER, STATE, VARIABLES_DIR);

  static Path variablesDir(Path checkpoint) {
    return checkpoint.resolve(VARIABLES_DIR);
  }

  static Path manifest(Path checkpoint) {
    return variablesDir(checkpoint).resolve(MANIFEST);
  }

  /** The prefix passed to {@code Session.save/restore} for a checkpoint. */
  public static Path variablesPrefix(Path checkpoint) {
    return variablesDir(checkpoint).resolve(VARIABLES_PREFIX);
  }
}
