package org.moellava.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.graph.moe.MoeRouting;
import org.moellava.pkg.GraphNames;
import org.moellava.tensor.TensorValue;
import org.tensorflow.GraphOperation;

/**
 * DeepSpeed's second-expert Gumbel noise ({@code text_config.router_gumbel_noise}): off by default; with it on, the
 * second choice follows the Gumbel-max distribution {@code P(j) = exp(l_j) / Σ_{i ≠ first} exp(l_i)}, and the same
 * seed draws the same choices.
 */
class GumbelNoiseTest {
  /** Router logits of every token (D = 1, x = 1, so the router kernel is the logits): expert 0 is the first choice. */
  private static final double[] LOGITS = {2.0, 1.0, 0.5, 0.0, -1.0};
  private static final int E = LOGITS.length;
  private static final int N = 40_000;

  /** The chosen experts {@code [N, 2]} of N identical tokens, with noise of {@code scale} (null: none). */
  private static float[] choices(Float scale, long seed) {
    double[] ones = new double[N];
    java.util.Arrays.fill(ones, 1.0);
    return TfTest.run(tf -> new org.tensorflow.Operand<?>[] {MoeRouting.route(tf, TfTest.constant(tf, ones, N, 1),
        TfTest.constant(tf, LOGITS, 1, E), E, 2, true, null, null, scale == null ? null : tf.constant(scale), 0, seed,
        0).chosen()})[0].data();
  }

  @Test
  void withoutNoiseTheSecondChoiceIsTheArgmax() {
    float[] chosen = choices(null, 7);
    for (int t = 0; t < N; t++) {
      assertEquals(0f, chosen[t * 2], "first choice");
      assertEquals(1f, chosen[t * 2 + 1], "second choice: the next largest logit");
    }
  }

  /**
   * 40,000 tokens: each expert's share of second choices is within 5 standard errors, {@code 5 · sqrt(p(1-p)/N)}
   * (at most 0.0125), of the Gumbel-max probability; the first choice never changes and is never chosen again.
   */
  @Test
  void theSecondChoiceFollowsTheGumbelMaxDistribution() {
    float[] chosen = choices(1f, 7);
    int[] counts = new int[E];
    for (int t = 0; t < N; t++) {
      assertEquals(0f, chosen[t * 2], "the first choice is noise-free");
      counts[(int) chosen[t * 2 + 1]]++;
    }
    assertEquals(0, counts[0], "the first choice is masked out of the second");
    double z = 0;
    for (int j = 1; j < E; z += Math.exp(LOGITS[j++])) { }
    StringBuilder report = new StringBuilder();
    for (int j = 1; j < E; j++) {
      double p = Math.exp(LOGITS[j]) / z;
      double observed = (double) counts[j] / N;
      double se = Math.sqrt(p * (1 - p) / N);
      report.append(String.format(java.util.Locale.ROOT, " expert %d: %.4f vs %.4f (%.1f se);", j, observed, p,
          (observed - p) / se));
      assertTrue(Math.abs(observed - p) <= 5 * se, "expert " + j + ": " + observed + " vs " + p + " (se " + se + ")");
    }
    System.out.println("second choices over " + N + " tokens:" + report);
  }

  @Test
  void theSameSeedDrawsTheSameNoise() {
    assertArrayEquals(choices(1f, 7), choices(1f, 7), "seed 7 twice");
    assertFalse(java.util.Arrays.equals(choices(1f, 7), choices(1f, 8)), "seeds 7 and 8");
  }

  /** Off by default: neither the training graph nor the inference graphs of a default config draw random numbers. */
  @Test
  void offByDefault() {
    ModelConfig config = TestConfigs.micro();
    assertFalse(config.textConfig().routerGumbelNoise());
    try (TrainingGraph g = TrainingGraph.build(config)) {
      assertTrue(g.graph().operation(GraphNames.ROUTER_NOISE_SCALE) == null);
      for (Iterator<GraphOperation> ops = g.graph().operations(); ops.hasNext(); ) {
        assertNotEquals("RandomUniform", ops.next().type(), "no random op in the default training graph");
      }
    }
    try (TrainingGraph g = TrainingGraph.build(TestConfigs.withGumbelNoise(config))) {
      int random = 0;
      for (Iterator<GraphOperation> ops = g.graph().operations(); ops.hasNext(); ) {
        if (ops.next().type().equals("RandomUniform")) random++;
      }
      assertEquals(config.textConfig().moeLayerIndices().size(), random, "one noise draw per MoE layer when on");
    }
  }
}
