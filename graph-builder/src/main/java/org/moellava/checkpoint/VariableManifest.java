package org.moellava.checkpoint;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * {@code variables/manifest.json}: every variable in the TensorFlow checkpoint, so that it can be read back
 * without the graph that wrote it.
 *
 * @param variables the variables, sorted by name
 */
public record VariableManifest(@JsonProperty(value = "variables", required = true) List<VariableSpec> variables) {
  public VariableManifest {
    variables = List.copyOf(variables);
  }
}
