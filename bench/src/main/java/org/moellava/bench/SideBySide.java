package org.moellava.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Times several variants side by side in one process: after warm-up, each round runs every variant once in
 * turn, so machine noise hits all of them alike. Reports the median per variant.
 */
public final class SideBySide {
  private SideBySide() {}

  /** Median milliseconds of each variant over {@code rounds} interleaved rounds. */
  public static double[] medianMillis(int warmup, int rounds, List<Runnable> variants) {
    for (int w = 0; w < warmup; w++) {
      for (Runnable v : variants) v.run();
    }
    List<List<Double>> times = new ArrayList<>();
    for (int i = 0; i < variants.size(); i++) times.add(new ArrayList<>());
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < variants.size(); i++) {
        long t0 = System.nanoTime();
        variants.get(i).run();
        times.get(i).add((System.nanoTime() - t0) / 1e6);
      }
    }
    double[] medians = new double[variants.size()];
    for (int i = 0; i < medians.length; i++) {
      List<Double> t = times.get(i);
      t.sort(Double::compare);
      medians[i] = t.size() % 2 == 1 ? t.get(t.size() / 2) : (t.get(t.size() / 2 - 1) + t.get(t.size() / 2)) / 2;
    }
    return medians;
  }
}
