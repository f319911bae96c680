package org.moellava.train.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CosineScheduleTest {
  @Test
  void warmupThenCosine() {
    CosineSchedule s = new CosineSchedule(1.0, 110, 10);
    assertEquals(0.0, s.learningRate(0), 1e-12);
    assertEquals(0.5, s.learningRate(5), 1e-12);
    assertEquals(1.0, s.learningRate(10), 1e-12);
    assertEquals(0.5, s.learningRate(60), 1e-12); // halfway through the decay: cos(pi/2) = 0
    assertEquals(0.0, s.learningRate(110), 1e-12);
    assertEquals(0.0, s.learningRate(500), 1e-12);
  }

  @Test
  void warmupRatioRoundsUp() {
    assertEquals(3, CosineSchedule.withWarmupRatio(1e-3, 100, 0.03).warmupSteps());
    assertEquals(1, CosineSchedule.withWarmupRatio(1e-3, 10, 0.03).warmupSteps());
  }
}
