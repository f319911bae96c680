package org.moellava.runtime.conformance;

import java.util.Arrays;

/**
 * Where a candidate may legitimately differ beyond tolerance after a near-tie flip: per batch row, the first
 * position a near-tie flip has changed. The flipped token goes through other experts; through attention every
 * later position of its row, and through the KV cache every later decode step, may then differ by more than the
 * tolerance, so from that position on the row is left out of every comparison (and counted). Positions number the
 * prompt {@code 0..S-1}, then {@code S, S+1, ...} for the decode steps.
 */
public final class RowDivergence {
  private final int[] from;
  private long excluded;

  /** No row diverged yet. */
  public RowDivergence(int rows) {
    from = new int[rows];
    Arrays.fill(from, Integer.MAX_VALUE);
  }

  public int rows() {
    return from.length;
  }

  /** Whether {@code position} of {@code row} is before every near-tie flip of the row. */
  public boolean live(int row, int position) {
    return position < from[row];
  }

  /** As {@link #live}, counting the position as excluded when it is not. */
  public boolean admit(int row, int position) {
    if (live(row, position)) return true;
    excluded++;
    return false;
  }

  /** A near-tie flip at {@code position} of {@code row}: that position and every later one may differ. */
  public void flipAt(int row, int position) {
    from[row] = Math.min(from[row], position);
  }

  /** Whether any row has a near-tie flip. */
  public boolean diverged() {
    return Arrays.stream(from).anyMatch(f -> f != Integer.MAX_VALUE);
  }

  /** Comparisons {@link #admit} turned away. */
  public long excluded() {
    return excluded;
  }
}
