package org.moellava.graph.variables;

import java.util.function.Consumer;
import org.tensorflow.types.TFloat32;

/**
 * Weights that can tell a variable's shape without reading it and hand its value to TensorFlow as a native tensor,
 * with no copy on the Java heap: a checkpoint read one variable at a time
 * ({@link org.moellava.checkpoint.CheckpointReader#lazyVariables}). {@link WeightLoader} then reads each variable
 * once, straight into the session (at full size: 12.8 GB that would otherwise pass through the heap twice).
 */
public interface DirectWeights {
  /** The shape of variable {@code name}, or null when there is none. */
  long[] shape(String name);

  /**
   * Reads variable {@code name} into a native tensor and passes it to {@code use}; the tensor is closed when
   * {@code use} returns.
   */
  void withTensor(String name, Consumer<TFloat32> use);
}
