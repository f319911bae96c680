package org.moellava.eval.model;

import java.nio.file.Path;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.Backend;
import org.moellava.text.Tokenizer;

/**
 * The shared part of an {@link EvalModel}: where it came from, its config, its backend and its optional tokenizer;
 * closing it closes the tokenizer, then the backend.
 *
 * @param <R> the kind of backend
 */
public abstract class OpenedModel<R extends Backend> implements EvalModel {
  private final Path dir;
  private final ModelConfig config;
  private final R backend;
  private final Tokenizer tokenizer;
  private final Path tokenizerFile;

  /**
   * @param tokenizer the tokenizer, or null when the model has none
   * @param tokenizerFile where the tokenizer was expected, for the error when it is missing
   */
  protected OpenedModel(Path dir, ModelConfig config, R backend, Tokenizer tokenizer, Path tokenizerFile) {
    this.dir = dir;
    this.config = config;
    this.backend = backend;
    this.tokenizer = tokenizer;
    this.tokenizerFile = tokenizerFile;
  }

  /** The directory the model was opened from. */
  public Path directory() {
    return dir;
  }

  @Override
  public String name() {
    return dir.toString();
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public R backend() {
    return backend;
  }

  /** The tokenizer; fails with a clear error when the model has none. */
  @Override
  public Tokenizer tokenizer() {
    if (tokenizer == null) {
      throw new InvalidInputException(tokenizerFile + ": missing: this command needs the model's tokenizer");
    }
    return tokenizer;
  }

  @Override
  public void close() {
    try {
      if (tokenizer != null) tokenizer.close();
    } finally {
      backend.close();
    }
  }
}
