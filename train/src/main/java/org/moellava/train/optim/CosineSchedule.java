package org.moellava.train.optim;

/**
 * Cosine decay with linear warm-up, as Hugging Face's {@code get_cosine_schedule_with_warmup}: the rate rises
 * linearly from 0 to {@code peak} over {@code warmupSteps}, then follows half a cosine down to 0 at
 * {@code totalSteps}.
 *
 * @param peak peak learning rate
 * @param totalSteps optimiser steps in the stage
 * @param warmupSteps warm-up steps
 */
public record CosineSchedule(double peak, int totalSteps, int warmupSteps) {
  public CosineSchedule {
    if (totalSteps < 0 || warmupSteps < 0 || warmupSteps > Math.max(totalSteps, 0)) {
      throw new IllegalArgumentException("bad schedule: total " + totalSteps + ", warmup " + warmupSteps);
    }
  }

  /** A schedule whose warm-up is {@code ceil(warmupRatio · totalSteps)} steps. */
  public static CosineSchedule withWarmupRatio(double peak, int totalSteps, double warmupRatio) {
    return new CosineSchedule(peak, totalSteps, (int) Math.ceil(warmupRatio * totalSteps));
  }

  /** The learning rate of optimiser step {@code step} (0-based). */
  public double learningRate(int step) {
    if (step < warmupSteps) {
      return peak * step / Math.max(1, warmupSteps);
    }
    double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return peak * Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * Math.min(1.0, progress))));
  }
}
