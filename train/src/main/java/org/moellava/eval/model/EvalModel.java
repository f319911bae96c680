package org.moellava.eval.model;

import org.moellava.config.ModelConfig;
import org.moellava.graph.InferenceModel;
import org.moellava.text.Tokenizer;

/** A model opened for evaluation and analysis: a checkpoint on TensorFlow, or an exported package. */
public interface EvalModel extends AutoCloseable {
  /** Where it was opened from, for reports. */
  String name();

  /** The model config. */
  ModelConfig config();

  /** The inference graphs. */
  InferenceModel runner();

  /** The tokenizer; fails with a clear error when the model has none. */
  Tokenizer tokenizer();

  @Override
  void close();
}
