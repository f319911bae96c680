package org.moellava.eval.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.moellava.checkpoint.CheckpointFiles;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableSpec;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.tensor.TensorValue;
import org.moellava.text.Tokenizer;

/**
 * A checkpoint opened for inference: its config, the TensorFlow backend with the model variables loaded (optimiser
 * slots and other extra variables are not read), and its tokenizer when it has one. Close it to free the sessions
 * and the tokenizer.
 */
public final class CheckpointModel extends OpenedModel<TfBackend> {
  private CheckpointModel(Path dir, ModelConfig config, TfBackend backend, Tokenizer tokenizer) {
    super(dir, config, backend, tokenizer, dir.resolve(CheckpointFiles.TOKENIZER));
  }

  /** Opens the checkpoint in {@code dir}. */
  public static CheckpointModel open(Path dir) {
    CheckpointReader reader = CheckpointReader.open(dir);
    ModelConfig config = reader.config();
    List<String> names = new ArrayList<>();
    for (VariableSpec spec : ModelVariableSpecs.all(config)) names.add(spec.name());
    Map<String, TensorValue> weights = reader.lazyVariables(names); // one at a time: never the model in the heap
    Path name = dir.toAbsolutePath().normalize().getFileName();
    TfBackend backend = new TfBackend(config, weights, name == null ? "checkpoint" : name.toString());
    Tokenizer tokenizer = null;
    try {
      Optional<byte[]> json = reader.tokenizerJson();
      if (json.isPresent()) tokenizer = Tokenizer.load(dir.resolve(CheckpointFiles.TOKENIZER));
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
    return new CheckpointModel(dir, config, backend, tokenizer);
  }
}
