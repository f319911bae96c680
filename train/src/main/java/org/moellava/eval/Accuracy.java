package org.moellava.eval;

/** Correct out of total. */
public record Accuracy(int correct, int total) {
  /** correct / total (0 when empty). */
  public double value() {
    return total == 0 ? 0.0 : (double) correct / total;
  }

  /** This plus one more answer. */
  public Accuracy plus(boolean right) {
    return new Accuracy(correct + (right ? 1 : 0), total + 1);
  }
}
