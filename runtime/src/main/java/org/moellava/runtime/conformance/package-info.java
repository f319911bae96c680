/**
 * The one conformance engine: how a candidate backend's outputs are compared with a reference backend's, used by
 * the export's validation and by the conformance suite.
 *
 * <ul>
 *   <li>{@link org.moellava.runtime.conformance.Tolerance}: the relative tolerance of a package precision.
 *   <li>{@link org.moellava.runtime.conformance.TensorDiff}: max abs, max relative (to the reference's largest
 *       magnitude), cosine; per tensor or merged over rows.
 *   <li>{@link org.moellava.runtime.conformance.NearTie}: the near-tie rule for any top-k decision (experts of a
 *       token, a greedy token), built on {@link org.moellava.tensor.TopK}.
 *   <li>{@link org.moellava.runtime.conformance.RowDivergence}: the positions a near-tie flip may legitimately
 *       change, left out of every later comparison.
 *   <li>{@link org.moellava.runtime.conformance.RoutingComparison} and
 *       {@link org.moellava.runtime.conformance.GreedyComparison}: routing and greedy tokens of one decoder call,
 *       counted in a {@link org.moellava.runtime.conformance.DecisionTally}; hard flips listed as
 *       {@link org.moellava.runtime.conformance.RoutingFlip}.
 * </ul>
 */
package org.moellava.runtime.conformance;
