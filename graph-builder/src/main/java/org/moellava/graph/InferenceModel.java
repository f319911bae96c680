package org.moellava.graph;

import org.moellava.tensor.IntTensorValue;

import org.moellava.tensor.TensorValue;

import org.moellava.config.ModelConfig;

/**
 * The three inference graphs of docs/architecture.md §3 (vision, embed, decoder with KV cache) behind one
 * interface, so that evaluation and analysis run the same way on TensorFlow ({@link TfModelRunner}) and on an
 * exported package (an adapter over a serving backend).
 */
public interface InferenceModel extends AutoCloseable {
  /** The model's config. */
  ModelConfig config();

  /** {@code pixel_values [B,3,H,W]} to {@code image_features [B,P,D]}. */
  TensorValue imageFeatures(TensorValue pixelValues);

  /** {@code input_ids [B,S]} and {@code image_features [B,P,D]} to {@code inputs_embeds [B,S,D]}. */
  TensorValue embed(IntTensorValue inputIds, TensorValue imageFeatures);

  /**
   * One decoder pass over {@code S} new tokens: logits {@code [B,S,V]}, the grown cache and the router logits.
   *
   * @param attentionMask {@code [B, past+S]}
   * @param positionIds {@code [B, S]}
   */
  TfModelRunner.DecoderOutput decode(TensorValue inputsEmbeds, IntTensorValue attentionMask,
      IntTensorValue positionIds, TfModelRunner.KvCache past);

  /** Releases native resources. */
  @Override
  void close();
}
