package org.moellava.runtime.conformance;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What {@link QuantizedAgreement} measured and the verdict against its {@link QuantizedTolerance}.
 *
 * @param tolerance the thresholds
 * @param minLogitsCosine lowest cosine of a position's logits
 * @param meanLogitsCosine mean over the positions
 * @param positions compared logits positions
 * @param top1Agreement share of positions whose argmax agrees
 * @param routedTokens token x MoE layer decisions compared
 * @param routingSame decisions with the same expert set
 * @param routingNearTies differing decisions within the near-tie allowance
 * @param routingFlips differing decisions beyond it
 * @param routingAgreement {@code (same + near ties) / compared}
 * @param greedyPrefixes per prompt row, the number of leading greedy tokens equal to the reference's
 * @param greedySteps tokens decoded per row
 * @param minGreedyPrefix the shortest prefix
 * @param meanGreedyPrefix the mean prefix
 * @param greedyRowsEqual rows whose every greedy token is equal
 * @param passed whether every threshold holds
 * @param failures one line per threshold missed
 * @param routingPerLayer the routing decisions per MoE layer, in layer order (empty when the comparison did not name
 *     layers)
 */
public record QuantizedVerdict(
    @JsonProperty("tolerance") QuantizedTolerance tolerance,
    @JsonProperty("min_logits_cosine") double minLogitsCosine,
    @JsonProperty("mean_logits_cosine") double meanLogitsCosine,
    @JsonProperty("positions") long positions,
    @JsonProperty("top1_agreement") double top1Agreement,
    @JsonProperty("routed_tokens") long routedTokens,
    @JsonProperty("routing_same") long routingSame,
    @JsonProperty("routing_near_ties") long routingNearTies,
    @JsonProperty("routing_flips") long routingFlips,
    @JsonProperty("routing_agreement") double routingAgreement,
    @JsonProperty("greedy_prefixes") List<Integer> greedyPrefixes,
    @JsonProperty("greedy_steps") int greedySteps,
    @JsonProperty("min_greedy_prefix") int minGreedyPrefix,
    @JsonProperty("mean_greedy_prefix") double meanGreedyPrefix,
    @JsonProperty("greedy_rows_equal") long greedyRowsEqual,
    @JsonProperty("passed") boolean passed,
    @JsonProperty("failures") List<String> failures,
    @JsonProperty("routing_per_layer") List<LayerRouting> routingPerLayer) {

  /**
   * One MoE layer's routing against the reference: every real token's expert set at that layer.
   *
   * @param layer the decoder layer index
   * @param compared decisions compared
   * @param same the same expert set
   * @param nearTies differing within the near-tie allowance
   * @param flips differing beyond it
   * @param agreement {@code (same + near ties) / compared}
   * @param exactAgreement {@code same / compared}: near ties counted as disagreements
   */
  public record LayerRouting(
      @JsonProperty("layer") int layer,
      @JsonProperty("compared") long compared,
      @JsonProperty("same") long same,
      @JsonProperty("near_ties") long nearTies,
      @JsonProperty("flips") long flips,
      @JsonProperty("agreement") double agreement,
      @JsonProperty("exact_agreement") double exactAgreement) {}
}
