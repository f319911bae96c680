package org.moellava.serve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.moellava.runtime.Tensors;

class SamplerTest {
  private static final int[] NONE = {};
  private static final int DRAWS = 20_000;

  @Test
  void greedyPicksTheArgmaxWithTiesToTheLowerIdAndSkipsBanned() {
    Sampler sampler = new Sampler();
    FloatBuffer logits = Tensors.floatsOf(new float[] {0.5f, 3f, -1f, 3f, 2f});
    SplittableRandom random = new SplittableRandom(1);
    assertEquals(1, sampler.sample(logits, 0, 5, SamplingParams.greedy(1), random, NONE));
    assertEquals(3, sampler.sample(logits, 0, 5, SamplingParams.greedy(1), random, new int[] {1}));
    // a row at an offset
    FloatBuffer two = Tensors.floatsOf(new float[] {9f, 0f, 0f, 0f, 1f, 7f});
    assertEquals(2, sampler.sample(two, 3, 3, SamplingParams.greedy(1), random, NONE));
  }

  @Test
  void topKRestrictsTheSupportAndKeepsTheRelativeProbabilities() {
    float[] values = {0.1f, 2.0f, -1f, 1.5f, 0.3f, 1.0f, -0.5f, 0.0f};
    double[] counts = draw(values, new SamplingParams(1.0, 1.0, 3, 0, 1, List.of()));
    // top 3 by logit: ids 1, 3, 5; expected softmax over them, computed here in plain double
    double z = Math.exp(2.0) + Math.exp(1.5) + Math.exp(1.0);
    assertDistribution(counts, new double[] {0, Math.exp(2.0) / z, 0, Math.exp(1.5) / z, 0, Math.exp(1.0) / z, 0, 0});
  }

  @Test
  void topPKeepsTheSmallestNucleus() {
    double[] p = {0.05, 0.5, 0.15, 0.3};
    float[] values = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      values[i] = (float) Math.log(p[i]);
    }
    double[] counts = draw(values, new SamplingParams(1.0, 0.75, 0, 0, 1, List.of()));
    // sorted 0.5, 0.3, ... : 0.5 < 0.75 <= 0.8, so the nucleus is {1, 3}
    assertDistribution(counts, new double[] {0, 0.5 / 0.8, 0, 0.3 / 0.8});
  }

  @Test
  void temperatureSharpensTheDistribution() {
    float[] values = {0f, 1f};
    double[] counts = draw(values, new SamplingParams(0.5, 1.0, 0, 0, 1, List.of()));
    double high = Math.exp(2) / (1 + Math.exp(2));
    assertDistribution(counts, new double[] {1 - high, high});
  }

  @Test
  void sameSeedSameDrawsDifferentSeedDifferentDraws() {
    float[] values = {0.2f, 0.1f, 0.4f, 0.3f, 0f, 0.25f};
    SamplingParams params = new SamplingParams(1.0, 0.95, 5, 0, 1, List.of());
    assertEquals(sequence(values, params, 42), sequence(values, params, 42));
    assertNotEquals(sequence(values, params, 42), sequence(values, params, 43));
  }

  @Test
  void logitBiasIsAddedBeforePicking() {
    Sampler sampler = new Sampler();
    FloatBuffer logits = Tensors.floatsOf(new float[] {0.5f, 3f, -1f, 2.5f});
    SamplingParams biased = new SamplingParams(0, 1, 0, 0, 1, List.of(), 0, 0, java.util.Map.of(2, 100.0), -1);
    assertEquals(2, sampler.sample(logits, 0, 4, biased, new SplittableRandom(1), NONE, new int[0], 0));
    SamplingParams away = new SamplingParams(0, 1, 0, 0, 1, List.of(), 0, 0, java.util.Map.of(1, -0.6), -1);
    assertEquals(3, sampler.sample(logits, 0, 4, away, new SplittableRandom(1), NONE, new int[0], 0));
    // the banned token stays banned whatever its bias
    assertEquals(2, sampler.sample(logits, 0, 4, biased, new SplittableRandom(1), new int[] {1}, new int[0], 0));
    assertEquals(3.0f, logits.get(1), "the backend's logits are not changed");
  }

  @Test
  void penaltiesFollowOpenAisFormulaOverTheGeneratedTokens() {
    Sampler sampler = new Sampler();
    FloatBuffer logits = Tensors.floatsOf(new float[] {1f, 2f, 3f, 0f});
    int[] generated = {2, 2, 1, 2, 0};
    SamplingParams params = new SamplingParams(0, 1, 0, 0, 1, List.of(), 0.25, 0.5, java.util.Map.of(), -1);
    FloatBuffer adjusted = sampler.adjust(logits, 0, 4, params, generated, 4); // counts: 2 x3, 1 x1; 0 not yet
    assertEquals(1f, adjusted.get(0), 0);
    assertEquals(2f - 0.25f - 0.5f, adjusted.get(1), 1e-6);
    assertEquals(3f - 3 * 0.25f - 0.5f, adjusted.get(2), 1e-6);
    assertEquals(0f, adjusted.get(3), 0);
    // greedy would pick 2 (3.0); with the penalties 2 is at 1.75 and 1 at 1.25: still 2; a stronger presence penalty
    // turns the pick to the unseen token 0
    assertEquals(2, sampler.sample(logits, 0, 4, params, new SplittableRandom(1), NONE, generated, 4));
    SamplingParams strong = new SamplingParams(0, 1, 0, 0, 1, List.of(), 0, 2, java.util.Map.of(), -1);
    assertEquals(0, sampler.sample(logits, 0, 4, strong, new SplittableRandom(1), NONE, generated, 4));
  }

  @Test
  void logprobsAreTheLogSoftmaxOfTheRawLogitsWithTheTopTokens() {
    float[] values = {0.5f, 3f, -1f, 3f, 2f};
    TokenLogprobs lp = Sampler.logprobs(Tensors.floatsOf(values), 0, 5, 4, 3);
    double z = 0;
    for (float v : values) z += Math.exp(v);
    assertEquals(2 - Math.log(z), lp.logprob(), 1e-12);
    assertEquals(List.of(1, 3, 4), java.util.Arrays.stream(lp.topIds()).boxed().toList(), "ties to the lower id");
    assertEquals(3 - Math.log(z), lp.topLogprobs()[0], 1e-12);
    assertEquals(3 - Math.log(z), lp.topLogprobs()[1], 1e-12);
    assertEquals(2 - Math.log(z), lp.topLogprobs()[2], 1e-12);
    assertEquals(0, Sampler.logprobs(Tensors.floatsOf(values), 0, 5, 0, 0).topIds().length);
  }

  private static List<Integer> sequence(float[] values, SamplingParams params, long seed) {
    Sampler sampler = new Sampler();
    SplittableRandom random = new SplittableRandom(seed);
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      out.add(sampler.sample(Tensors.floatsOf(values), 0, values.length, params, random, NONE));
    }
    return out;
  }

  /** Frequencies of DRAWS draws, each with its own seed. */
  private static double[] draw(float[] values, SamplingParams params) {
    Sampler sampler = new Sampler();
    FloatBuffer logits = Tensors.floatsOf(values);
    double[] counts = new double[values.length];
    for (int seed = 0; seed < DRAWS; seed++) {
      counts[sampler.sample(logits, 0, values.length, params, new SplittableRandom(seed), NONE)]++;
    }
    for (int i = 0; i < counts.length; i++) {
      counts[i] /= DRAWS;
    }
    return counts;
  }

  /** Zero-probability ids never drawn; others within 5 standard errors. */
  private static void assertDistribution(double[] observed, double[] expected) {
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] == 0) {
        assertEquals(0.0, observed[i], "id " + i + " is outside the support");
      } else {
        double tolerance = 5 * Math.sqrt(expected[i] * (1 - expected[i]) / DRAWS);
        assertTrue(Math.abs(observed[i] - expected[i]) < tolerance,
            "id " + i + ": observed " + observed[i] + ", expected " + expected[i]);
      }
    }
  }
}
