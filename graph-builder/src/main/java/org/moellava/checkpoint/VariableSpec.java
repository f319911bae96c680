package org.moellava.checkpoint;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One entry of {@code variables/manifest.json}.
 *
 * @param name the variable's name (its name in the TensorFlow checkpoint, see {@code VariableNames})
 * @param dtype its element type; {@code float32}
 * @param shape its dimensions
 */
public record VariableSpec(
    @JsonProperty(value = "name", required = true) String name,
    @JsonProperty(value = "dtype", required = true) String dtype,
    @JsonProperty(value = "shape", required = true) List<Long> shape) {

  /** The only dtype checkpoints hold today. */
  public static final String FLOAT32 = "float32";

  public VariableSpec {
    shape = List.copyOf(shape);
  }

  /** The shape as an array. */
  public long[] shapeArray() {
    return shape.stream().mapToLong(Long::longValue).toArray();
  }
}
