package org.moellava.runtime;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * One way of running the exported model: ONNX Runtime, TensorRT or TensorFlow Java. It mirrors the model
 * package of docs/architecture.md §3 ({@code vision.onnx}, {@code embed.onnx}, {@code decoder.onnx}). It is the project's
 * one inference contract: serving, the conformance suite, evaluation and routing analysis, {@code forward} and the
 * export's validation all run a model through it; the latter work on arrays through the static calls of
 * {@link Tensors} ({@code imageFeatures}, {@code embed}, {@code decode}).
 *
 * <p><b>Buffers.</b> Tensors cross this interface as direct, native-order {@link FloatBuffer}s and
 * {@link LongBuffer}s with position 0, limit equal to the element count, row-major (see {@link Tensors}).
 * That is the choice that lets the ONNX Runtime backend avoid copies: its Java API has no IoBinding, but
 * {@code OnnxTensor.createTensor(env, directBuffer, shape)} wraps a direct native-order buffer in place, and
 * {@code run(inputs, pinnedOutputs)} writes into buffers it reuses. Flat Java arrays would force a copy in
 * and out of native memory on every call.
 *
 * <p><b>Ownership.</b> Input buffers belong to the caller and are not retained. Returned buffers belong to
 * the backend and are valid until the next call of the same method (so the output of {@link #embed} may be
 * passed straight to {@link #decode} as {@code inputs_embeds}); callers copy what they keep.
 *
 * <p><b>Threads.</b> The generation engine calls a backend from one scheduler thread only, so an
 * implementation need not be thread-safe.
 *
 * <p>A backend that cannot start (missing native library, no GPU, unreadable package) throws
 * {@link org.moellava.error.BackendUnavailableException} with a one-line reason from its factory.
 */
public interface Backend extends AutoCloseable {

  /** The model this backend runs. */
  ModelInfo info();

  /** Short name for logs and {@code /health}: {@code onnxruntime-cpu}, {@code tensorrt}, {@code tensorflow}. */
  String name();

  /**
   * Vision tower plus projector ({@code vision.onnx}).
   *
   * @param pixelValues {@code pixel_values [B, 3, H, W]}, CLIP-normalised
   * @return {@code image_features [B, P, D]}
   */
  FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch);

  /**
   * Token embedding with image features merged at the image-token positions ({@code embed.onnx}).
   *
   * @param inputIds {@code input_ids [B, S]}; each image placeholder is already expanded to P image tokens
   * @param imageFeatures {@code image_features [B, P, D]}, or null when no row holds image tokens
   * @return {@code inputs_embeds [B, S, D]}
   */
  FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures);

  /** One decoder step with KV cache ({@code decoder.onnx}). */
  DecoderOutput decode(DecoderInput in);

  /** Releases native resources. Narrowed to throw no checked exception. */
  @Override
  void close();
}
