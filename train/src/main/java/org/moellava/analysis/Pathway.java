package org.moellava.analysis;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One activated pathway: the top-1 expert a token chose at each MoE layer, in layer order, with how many tokens took
 * it.
 *
 * @param experts top-1 expert per MoE layer
 * @param tokens tokens that took this pathway
 * @param share tokens / all tokens counted
 */
public record Pathway(List<Integer> experts, long tokens, double share) {
  public Pathway {
    experts = List.copyOf(experts);
  }

  /** The pathway as text, e.g. {@code 0-3-1}. */
  public String label() {
    return experts.stream().map(String::valueOf).collect(Collectors.joining("-"));
  }
}
