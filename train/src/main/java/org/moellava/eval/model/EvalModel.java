package org.moellava.eval.model;

import org.moellava.config.ModelConfig;
import org.moellava.runtime.Backend;
import org.moellava.text.Tokenizer;

/**
 * A model opened for evaluation and analysis: a checkpoint on TensorFlow ({@link CheckpointModel}), or an exported
 * package on ONNX Runtime ({@link PackageModel}); both run through the same {@link Backend} contract.
 */
public interface EvalModel extends AutoCloseable {
  /** Where it was opened from, for reports. */
  String name();

  /** The model config. */
  ModelConfig config();

  /** The backend that runs the inference graphs. */
  Backend backend();

  /** The tokenizer; fails with a clear error when the model has none. */
  Tokenizer tokenizer();

  @Override
  void close();
}
