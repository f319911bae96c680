package org.moellava.export.validate;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * {@code conformance.json}: the package compared with the TF graphs on fixed seeded inputs.
 *
 * @param precision the package precision
 * @param moeMode the package MoE mode
 * @param tolerance the largest relative error allowed (vision features, embeddings, logits, router logits); it
 *     also bounds near-tie flips ({@link org.moellava.runtime.conformance.NearTie})
 * @param seed the seed of the inputs
 * @param checks every comparison made
 * @param greedyTokensTf tokens TF chose, greedily, per decode step and row
 * @param greedyTokensPackage tokens the package chose on the same inputs
 * @param passed whether every check is within tolerance
 * @param quantized for a quantized package, the agreement measured against the fp32 reference and its thresholds
 *     (then {@code tolerance} is the scheme's near-tie scale and {@code checks} summarise it); null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConformanceReport(
    @JsonProperty("precision") String precision,
    @JsonProperty("moe_mode") String moeMode,
    @JsonProperty("tolerance") double tolerance,
    @JsonProperty("seed") long seed,
    @JsonProperty("checks") List<Check> checks,
    @JsonProperty("greedy_tokens_tf") List<List<Integer>> greedyTokensTf,
    @JsonProperty("greedy_tokens_package") List<List<Integer>> greedyTokensPackage,
    @JsonProperty("passed") boolean passed,
    @JsonProperty("quantized") org.moellava.runtime.conformance.QuantizedVerdict quantized) {

  /** A report of an unquantized package. */
  public ConformanceReport(String precision, String moeMode, double tolerance, long seed, List<Check> checks,
      List<List<Integer>> greedyTokensTf, List<List<Integer>> greedyTokensPackage, boolean passed) {
    this(precision, moeMode, tolerance, seed, checks, greedyTokensTf, greedyTokensPackage, passed, null);
  }

  /**
   * One comparison.
   *
   * @param name what was compared, e.g. {@code prefill/logits}
   * @param relativeError max abs error over the reference's max abs value (for tensors; logits and router logits
   *     per position, each against its own scale), else 0
   * @param tokens decisions compared (routing: tokens; argmax: rows), else 0
   * @param routingMismatches decisions that differ beyond the near-tie allowance
   * @param nearTies decisions that differ within it (allowed)
   * @param passed whether the check is within tolerance
   */
  public record Check(
      @JsonProperty("name") String name,
      @JsonProperty("relative_error") double relativeError,
      @JsonProperty("tokens") int tokens,
      @JsonProperty("routing_mismatches") int routingMismatches,
      @JsonProperty("near_ties") int nearTies,
      @JsonProperty("passed") boolean passed) {}

  /** The first failed check, or null. */
  public Check firstFailure() {
    return checks.stream().filter(c -> !c.passed()).findFirst().orElse(null);
  }
}
