package org.moellava.graph.moe;

import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * How a MoE block routes and computes.
 *
 * <ul>
 *   <li>Inference form ({@link #inference()}): no capacity limit, every token routed (Hugging Face
 *       {@code Qwen2MoeSparseMoeBlock}), sparse dispatch.</li>
 *   <li>Training form ({@link #training}): DeepSpeed/MoE-LLaVA capacity {@code max(ceil(T/E*cf*k), min_capacity)}
 *       over the real tokens of {@code tokenMask}; padding takes no slot, gets no expert output and is left out of the
 *       aux loss.</li>
 * </ul>
 *
 * @param tokenMask {@code [B, S]} 1 for real tokens, 0 for padding; null: every token is real
 * @param capacityFactor scalar capacity factor cf; null: no capacity limit
 * @param gumbelNoiseScale scalar scale of Gumbel noise added to the logits when picking the second and later
 *     choices; null: no noise (always null in inference graphs)
 * @param dispatch sparse (gather/segment-sum, the real implementation) or dense-masked (benchmark baseline)
 * @param minCapacity the floor of the capacity, DeepSpeed's {@code min_capacity} (0: none; unused without a capacity)
 * @param noiseSeed seed of the Gumbel noise's random op (with {@code noiseStream}: TF's {@code seed}, {@code seed2})
 * @param noiseStream which stream of {@code noiseSeed} (the MoE layer: each layer draws its own noise)
 */
public record MoeOptions(Operand<TFloat32> tokenMask, Operand<TFloat64> capacityFactor,
    Operand<TFloat32> gumbelNoiseScale, Dispatch dispatch, int minCapacity, long noiseSeed, int noiseStream) {

  /** Options without a capacity floor. */
  public MoeOptions(Operand<TFloat32> tokenMask, Operand<TFloat64> capacityFactor,
      Operand<TFloat32> gumbelNoiseScale, Dispatch dispatch) {
    this(tokenMask, capacityFactor, gumbelNoiseScale, dispatch, 0);
  }

  /** Options with noise seed 0. */
  public MoeOptions(Operand<TFloat32> tokenMask, Operand<TFloat64> capacityFactor,
      Operand<TFloat32> gumbelNoiseScale, Dispatch dispatch, int minCapacity) {
    this(tokenMask, capacityFactor, gumbelNoiseScale, dispatch, minCapacity, 0, 0);
  }

  /** How expert outputs are computed. */
  public enum Dispatch {
    /** Each expert computes only its tokens: gather, expert SwiGLU, scatter back; the experts' results summed. */
    SPARSE,
    /** Every expert computes every token, masked by the combine weights (baseline for benchmarks only). */
    DENSE_MASKED
  }

  /** The inference form with sparse dispatch. */
  public static MoeOptions inference() {
    return new MoeOptions(null, null, null, Dispatch.SPARSE);
  }

  /** The training form: capacity {@code cf} over the real tokens of {@code tokenMask}, no floor. */
  public static MoeOptions training(Operand<TFloat32> tokenMask, Operand<TFloat64> capacityFactor,
      Operand<TFloat32> gumbelNoiseScale) {
    return training(tokenMask, capacityFactor, gumbelNoiseScale, 0);
  }

  /** The training form: capacity {@code max(ceil(T/E*cf*k), minCapacity)} over the real tokens of {@code tokenMask}. */
  public static MoeOptions training(Operand<TFloat32> tokenMask, Operand<TFloat64> capacityFactor,
      Operand<TFloat32> gumbelNoiseScale, int minCapacity) {
    return training(tokenMask, capacityFactor, gumbelNoiseScale, minCapacity, 0);
  }

  /**
   * The training form with a capacity floor and, when {@code gumbelNoiseScale} is not null, Gumbel noise drawn from
   * {@code noiseSeed} (one stream per MoE layer).
   */
  public static MoeOptions training(Operand<TFloat32> tokenMask, Operand<TFloat64> capacityFactor,
      Operand<TFloat32> gumbelNoiseScale, int minCapacity, long noiseSeed) {
    return new MoeOptions(tokenMask, capacityFactor, gumbelNoiseScale, Dispatch.SPARSE, minCapacity, noiseSeed, 0);
  }

  /** The same options with another dispatch. */
  public MoeOptions withDispatch(Dispatch d) {
    return new MoeOptions(tokenMask, capacityFactor, gumbelNoiseScale, d, minCapacity, noiseSeed, noiseStream);
  }

  /** The same options drawing noise from stream {@code stream} of the seed (each MoE layer its own). */
  public MoeOptions withNoiseStream(int stream) {
    return new MoeOptions(tokenMask, capacityFactor, gumbelNoiseScale, dispatch, minCapacity, noiseSeed, stream);
  }
}
