package org.moellava.eval;

import java.util.List;
import org.moellava.error.InvalidInputException;

/**
 * POPE's metrics with "yes" as the positive class.
 *
 * @param total questions
 * @param truePositives said yes, object present
 * @param falsePositives said yes, object absent
 * @param trueNegatives said no (or unparsable), object absent
 * @param falseNegatives said no (or unparsable), object present
 * @param unknown answers that were neither yes nor no (counted as no)
 */
public record BinaryMetrics(int total, int truePositives, int falsePositives, int trueNegatives, int falseNegatives,
    int unknown) {

  /** Scores {@code predictions[i]} against {@code truth[i]} (true: the object is present). */
  public static BinaryMetrics of(List<Boolean> truth, List<YesNo> predictions) {
    if (truth.size() != predictions.size()) {
      throw new InvalidInputException("POPE: " + truth.size() + " questions but " + predictions.size() + " answers");
    }
    int tp = 0, fp = 0, tn = 0, fn = 0, unknown = 0;
    for (int i = 0; i < truth.size(); i++) {
      boolean yes = predictions.get(i) == YesNo.YES;
      if (predictions.get(i) == YesNo.UNKNOWN) unknown++;
      if (truth.get(i)) {
        if (yes) tp++; else fn++;
      } else {
        if (yes) fp++; else tn++;
      }
    }
    return new BinaryMetrics(truth.size(), tp, fp, tn, fn, unknown);
  }

  /** (TP + TN) / total. */
  public double accuracy() {
    return ratio(truePositives + trueNegatives, total);
  }

  /** TP / (TP + FP). */
  public double precision() {
    return ratio(truePositives, truePositives + falsePositives);
  }

  /** TP / (TP + FN). */
  public double recall() {
    return ratio(truePositives, truePositives + falseNegatives);
  }

  /** Harmonic mean of precision and recall. */
  public double f1() {
    double p = precision();
    double r = recall();
    return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
  }

  /** Fraction of answers that were yes. */
  public double yesRatio() {
    return ratio(truePositives + falsePositives, total);
  }

  private static double ratio(int a, int b) {
    return b == 0 ? 0.0 : (double) a / b;
  }
}
