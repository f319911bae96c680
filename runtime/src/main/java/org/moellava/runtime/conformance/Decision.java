package org.moellava.runtime.conformance;

/**
 * The verdict on one top-k decision of a candidate (the experts of a token at one MoE layer, the greedy token of a
 * row) against the reference's, by {@link NearTie}.
 *
 * @param kind same choice, near-tie flip (allowed) or flip (fails)
 * @param gap for a differing choice, {@link NearTie#gap}: by how much the reference prefers its own choice;
 *     0 when the choices agree
 * @param allowance {@link NearTie#allowance}: the largest gap an error within tolerance can overturn
 */
public record Decision(Kind kind, double gap, double allowance) {
  /** The three outcomes. */
  public enum Kind {
    /** The same set of indices. */
    SAME,
    /** A different set, within the reach of an error inside the tolerance: allowed, counted. */
    NEAR_TIE,
    /** A different set beyond that reach: a conformance failure. */
    FLIP
  }
}
