package org.moellava.eval.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.error.InvalidInputException;
import org.moellava.graph.ModelVariableSpecs;
import org.moellava.graph.TensorValue;
import org.moellava.graph.TfModelRunner;
import org.moellava.graph.VariableSpec;
import org.moellava.text.Tokenizer;

/**
 * A checkpoint opened for inference: its config, the TF inference graphs with the model variables loaded (optimiser
 * slots and other extra variables are not read), and its tokenizer when it has one. Close it to free the sessions
 * and the tokenizer.
 */
public final class CheckpointModel implements EvalModel {
  private final Path dir;
  private final ModelConfig config;
  private final TfModelRunner runner;
  private final Tokenizer tokenizer;

  private CheckpointModel(Path dir, ModelConfig config, TfModelRunner runner, Tokenizer tokenizer) {
    this.dir = dir;
    this.config = config;
    this.runner = runner;
    this.tokenizer = tokenizer;
  }

  /** Opens the checkpoint in {@code dir}. */
  public static CheckpointModel open(Path dir) {
    CheckpointReader reader = CheckpointReader.open(dir);
    ModelConfig config = reader.config();
    List<String> names = new ArrayList<>();
    for (VariableSpec spec : ModelVariableSpecs.all(config)) names.add(spec.name());
    Map<String, TensorValue> weights = reader.readVariables(names);
    TfModelRunner runner = new TfModelRunner(config, weights);
    Tokenizer tokenizer = null;
    try {
      Optional<byte[]> json = reader.tokenizerJson();
      if (json.isPresent()) tokenizer = Tokenizer.load(dir.resolve(org.moellava.checkpoint.CheckpointFiles.TOKENIZER));
    } catch (RuntimeException e) {
      runner.close();
      throw e;
    }
    return new CheckpointModel(dir, config, runner, tokenizer);
  }

  /** The checkpoint directory. */
  public Path directory() {
    return dir;
  }

  @Override
  public String name() {
    return dir.toString();
  }

  /** The model config. */
  @Override
  public ModelConfig config() {
    return config;
  }

  /** The inference graphs. */
  @Override
  public TfModelRunner runner() {
    return runner;
  }

  /** The tokenizer; fails with a clear error when the checkpoint has none. */
  @Override
  public Tokenizer tokenizer() {
    if (tokenizer == null) {
      throw new InvalidInputException(dir.resolve(org.moellava.checkpoint.CheckpointFiles.TOKENIZER)
          + ": missing: this command needs the checkpoint's tokenizer");
    }
    return tokenizer;
  }

  @Override
  public void close() {
    try {
      if (tokenizer != null) tokenizer.close();
    } finally {
      runner.close();
    }
  }
}
