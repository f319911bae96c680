package org.moellava.runtime.conformance;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Pass/fail thresholds of a weight-only quantized package against its fp32 reference. A quantized package cannot
 * meet an elementwise relative tolerance (int4 weights move every logit by a few percent), so it is judged on what a
 * user sees: how closely the logits point the same way, how often the top token and the experts agree, and how long
 * greedy generation stays identical.
 *
 * @param minLogitsCosine lowest allowed cosine similarity between a position's logits and the reference's, over every
 *     compared position (prefill of the prompt set)
 * @param minTop1Agreement lowest allowed share of compared positions whose argmax equals the reference's
 * @param minRoutingAgreement lowest allowed share of tokens (over every MoE layer) whose expert set equals the
 *     reference's or differs only by a near tie
 * @param minGreedyPrefix lowest allowed mean, over the prompt rows, of the number of leading greedy tokens equal to
 *     the reference's (each backend decoding from its own tokens)
 * @param nearTieRelative the relative error scale of the scheme: a differing expert set is a near tie when the
 *     reference's gap it overturns is at most {@code 2 * nearTieRelative * max|router logit|} of the token
 *     ({@link NearTie}); near ties are counted separately from agreements and from hard flips
 */
public record QuantizedTolerance(
    @JsonProperty("min_logits_cosine") double minLogitsCosine,
    @JsonProperty("min_top1_agreement") double minTop1Agreement,
    @JsonProperty("min_routing_agreement") double minRoutingAgreement,
    @JsonProperty("min_greedy_prefix") double minGreedyPrefix,
    @JsonProperty("near_tie_relative") double nearTieRelative) {

  /**
   * int8 (any block size). Measured with random weights (docs/export.md), int8-b32-sym: {@code tiny} logits cosine
   * min 0.9936 (mean 0.99977), top-1 0.972, routing 0.9965, greedy 8 of 8 on every row; {@code small} cosine min
   * 0.979, top-1 0.939, routing 0.9985, mean greedy prefix 7.75 of 8. The floors sit below both, so int8 passes on any
   * weights that are not much less robust than random ones, and a broken int8 package (a wrong layout gives cosine
   * near 0) fails by far.
   */
  public static final QuantizedTolerance INT8 = new QuantizedTolerance(0.97, 0.90, 0.97, 6.0, 0.02);
  /**
   * int4 (any block size). Measured on {@code tiny} (random weights), int4-b32: cosine min 0.940 (sym) / 0.935
   * (asym), top-1 0.66 / 0.74, routing 0.85 / 0.91, mean greedy prefix 2.0 / 3.75 of 8. Random weights give nearly
   * flat logits, the worst case for top-1 and greedy agreement, so the floors are low there and cosine carries most
   * of the check; {@code small} with random weights (flatter still: 32000 logits) falls below them (top-1 0.37) and is
   * refused, as it should be for a model whose int4 output differs from fp32 that often.
   */
  public static final QuantizedTolerance INT4 = new QuantizedTolerance(0.90, 0.55, 0.80, 1.0, 0.10);

  public QuantizedTolerance {
    if (!(minLogitsCosine >= -1 && minLogitsCosine <= 1)) {
      throw new IllegalArgumentException("minimum logits cosine " + minLogitsCosine + " must be in [-1, 1]");
    }
    for (double share : new double[] {minTop1Agreement, minRoutingAgreement}) {
      if (!(share >= 0 && share <= 1)) throw new IllegalArgumentException("agreement floor " + share + " not in [0, 1]");
    }
    if (!(minGreedyPrefix >= 0)) throw new IllegalArgumentException("greedy prefix floor must be >= 0");
    if (!(nearTieRelative >= 0)) throw new IllegalArgumentException("near-tie scale must be >= 0");
  }

  /** The default thresholds of a scheme of {@code bits} (4 or 8) bits. */
  public static QuantizedTolerance forBits(int bits) {
    return switch (bits) {
      case 8 -> INT8;
      case 4 -> INT4;
      default -> throw new IllegalArgumentException("no quantized tolerance for " + bits + " bits");
    };
  }

  /** The tolerance whose near-tie rule classifies the quantized package's differing expert sets. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public Tolerance nearTie() {
    return new Tolerance(nearTieRelative);
  }
}
