package org.moellava.export.pkg;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.moellava.checkpoint.CheckpointReader;
import org.moellava.config.ModelConfig;
import org.moellava.error.ConfigException;
import org.moellava.graph.variables.ModelVariableSpecs;
import org.moellava.graph.variables.VariableSpec;

/** Checks that a checkpoint's variables are the ones its config describes, by name and shape. */
final class CheckpointConsistency {
  private CheckpointConsistency() {}

  /** The variable names the config needs; a missing variable or a shape mismatch is a one-line error. */
  static List<String> check(CheckpointReader reader, ModelConfig config) {
    Map<String, List<Long>> stored = new HashMap<>();
    reader.variables().forEach(v -> stored.put(v.name(), v.shape()));
    List<VariableSpec> needed = ModelVariableSpecs.all(config);
    for (VariableSpec spec : needed) {
      List<Long> shape = stored.get(spec.name());
      List<Long> expected = java.util.Arrays.stream(spec.shape()).boxed().toList();
      if (shape == null) {
        throw new ConfigException(reader.directory() + ": config.json does not match the checkpoint: variable '"
            + spec.name() + "' " + expected + " is not in the checkpoint");
      }
      if (!shape.equals(expected)) {
        throw new ConfigException(reader.directory() + ": config.json does not match the checkpoint: variable '"
            + spec.name() + "' has shape " + shape + " but the config implies " + expected);
      }
    }
    return needed.stream().map(VariableSpec::name).toList();
  }
}
