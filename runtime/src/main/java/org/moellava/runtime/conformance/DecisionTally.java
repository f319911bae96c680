package org.moellava.runtime.conformance;

/** Counts of judged decisions ({@link Decision}): compared, same, near-tie flips, flips. */
public final class DecisionTally {
  private long compared;
  private long same;
  private long nearTies;
  private long flips;

  /** Counts one decision. */
  public void add(Decision d) {
    compared++;
    switch (d.kind()) {
      case SAME -> same++;
      case NEAR_TIE -> nearTies++;
      case FLIP -> flips++;
    }
  }

  /** Adds another tally's counts. */
  public void addAll(DecisionTally other) {
    compared += other.compared;
    same += other.same;
    nearTies += other.nearTies;
    flips += other.flips;
  }

  public long compared() {
    return compared;
  }

  public long same() {
    return same;
  }

  public long nearTies() {
    return nearTies;
  }

  public long flips() {
    return flips;
  }

  /** Share of compared decisions that agree, in percent (100 when none were compared). */
  public double agreement() {
    return compared == 0 ? 100 : 100.0 * same / compared;
  }
}
