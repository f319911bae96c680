package org.moellava.export.validate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.config.VisionConfig;
import org.moellava.runtime.Backend;
import org.moellava.runtime.Tensors;
import org.moellava.runtime.conformance.QuantizedAgreement;
import org.moellava.runtime.conformance.QuantizedTolerance;
import org.moellava.runtime.conformance.QuantizedVerdict;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;

/**
 * Compares a weight-only quantized package with the fp32 TF graphs end to end on fixed seeded inputs: a left-padded
 * batch of {@value #PROMPTS} prompts with images (each backend computes its own image features and embeddings), whose
 * prefill gives the logits (cosine, top-1) of every real position and the expert choices of every real token at
 * every MoE layer; then each backend decodes {@value #GREEDY_STEPS} greedy tokens per row from its own tokens and
 * cache, and the common prefix is measured. Judged by {@link QuantizedTolerance}.
 */
public final class QuantizedConformanceCheck {
  /** Prompt rows at export. */
  public static final int PROMPTS = 4;
  /** Greedy tokens per row (the first from the prefill). */
  public static final int GREEDY_STEPS = 8;

  private final ModelConfig config;
  private final QuantizedTolerance tolerance;
  private final int prompts;
  private final long seed;
  private final boolean textOnlyPrompts;

  /** The export's comparison: {@value #PROMPTS} prompts of seed {@link ConformanceCheck#SEED}. */
  public QuantizedConformanceCheck(ModelConfig config, QuantizedTolerance tolerance) {
    this(config, tolerance, PROMPTS, ConformanceCheck.SEED);
  }

  /** The comparison on {@code prompts} prompt rows (lengths P+12, P+9, P+6, P+3, repeating) drawn from {@code seed}. */
  public QuantizedConformanceCheck(ModelConfig config, QuantizedTolerance tolerance, int prompts, long seed) {
    this(config, tolerance, prompts, seed, false);
  }

  /**
   * @param textOnlyPrompts prompt rows without the P image tokens (lengths 12, 9, 6, 3, repeating; each side still
   *     computes its image features): at full size, where TensorFlow's prefill of four image prompts does not fit
   *     beside its float32 weights
   */
  public QuantizedConformanceCheck(ModelConfig config, QuantizedTolerance tolerance, int prompts, long seed,
      boolean textOnlyPrompts) {
    this.config = config;
    this.tolerance = tolerance;
    this.prompts = prompts;
    this.seed = seed;
    this.textOnlyPrompts = textOnlyPrompts;
  }

  /** Runs the comparison; the caller closes both backends. */
  public ConformanceReport run(Backend tf, Backend pkg, String precision, String moeMode) {
    Inputs in = inputs();
    return compare(in, side(tf, in), side(pkg, in), precision, moeMode);
  }

  /**
   * The same comparison with the two backends never open together (at full size the TensorFlow reference and the
   * package do not fit in memory at once): {@code tf} is opened, run end to end (each side's pass needs nothing of
   * the other's) and closed, keeping only its logits, router logits and greedy tokens; then {@code pkg}.
   */
  public ConformanceReport runSequentially(java.util.function.Supplier<? extends Backend> tf,
      java.util.function.Supplier<? extends Backend> pkg, String precision, String moeMode) {
    Inputs in = inputs();
    Side ref;
    try (Backend b = tf.get()) {
      System.gc(); // at full size: give back the heap the variables passed through before TensorFlow computes
      ref = side(b, in);
    }
    Side cand;
    try (Backend b = pkg.get()) {
      cand = side(b, in);
    }
    return compare(in, ref, cand, precision, moeMode);
  }

  /** The seeded images and prompt rows both sides run. */
  private record Inputs(TensorValue pixels, PromptBatch prompt) {}

  /** What the comparison keeps of one side's pass. */
  private record Side(TensorValue logits, Map<Integer, TensorValue> routerLogits, List<List<Integer>> tokens) {}

  private Inputs inputs() {
    VisionConfig v = config.visionConfig();
    TextConfig t = config.textConfig();
    int p = v.numPatches();
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] pixels = new float[prompts * v.numChannels() * v.imageSize() * v.imageSize()];
    for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (rnd.nextDouble() * 4 - 2);
    TensorValue pixelValues = new TensorValue(new long[] {prompts, v.numChannels(), v.imageSize(), v.imageSize()},
        pixels);
    int longest = Math.min(textOnlyPrompts ? 12 : p + 12, t.maxPositionEmbeddings() - GREEDY_STEPS);
    int[] lengths = new int[prompts];
    for (int b = 0; b < prompts; b++) lengths[b] = Math.max(textOnlyPrompts ? 1 : p + 1, longest - (3 * b) % 12);
    return new Inputs(pixelValues, PromptBatch.random(config, lengths, !textOnlyPrompts, seed + 1));
  }

  private Side side(Backend backend, Inputs in) {
    Run r = new Run(backend, in.pixels(), in.prompt());
    return new Side(r.prefill.logits(), r.prefill.routerLogits(), r.greedy(in.prompt()));
  }

  private ConformanceReport compare(Inputs in, Side ref, Side cand, String precision, String moeMode) {
    TextConfig t = config.textConfig();
    PromptBatch prompt = in.prompt();
    QuantizedAgreement agreement = new QuantizedAgreement(tolerance);
    int seq = (int) prompt.attentionMask().shape()[1];
    int[] mask = prompt.attentionMask().data();
    int vocab = t.vocabSize();
    for (int row = 0; row < prompts * seq; row++) {
      if (mask[row] == 1) agreement.logitsRow(ref.logits().data(), cand.logits().data(), row * vocab, vocab);
    }
    for (Map.Entry<Integer, TensorValue> e : ref.routerLogits().entrySet()) {
      TensorValue theirs = cand.routerLogits().get(e.getKey());
      for (int token = 0; token < prompts * seq; token++) {
        if (mask[token] == 1) {
          agreement.routingRow(e.getKey(), e.getValue().data(), theirs.data(), token * t.numExperts(),
              t.numExperts(), t.numExpertsPerTok());
        }
      }
    }
    List<List<Integer>> refTokens = ref.tokens();
    List<List<Integer>> candTokens = cand.tokens();
    for (int b = 0; b < prompts; b++) agreement.greedy(refTokens.get(b), candTokens.get(b));
    QuantizedVerdict verdict = agreement.verdict();
    return new ConformanceReport(precision, moeMode, tolerance.nearTieRelative(), seed,
        checks(verdict), transpose(refTokens), transpose(candTokens), verdict.passed(), verdict);
  }

  /** The verdict as report checks, one per threshold. */
  private List<ConformanceReport.Check> checks(QuantizedVerdict v) {
    int positions = (int) v.positions();
    int top1Misses = (int) Math.round((1 - v.top1Agreement()) * positions);
    int rowsDiffering = (int) (v.greedyPrefixes().size() - v.greedyRowsEqual());
    return List.of(
        new ConformanceReport.Check("quantized/logits_cosine", 1 - v.minLogitsCosine(), positions, 0, 0,
            v.minLogitsCosine() >= tolerance.minLogitsCosine()),
        new ConformanceReport.Check("quantized/top1", 0, positions, top1Misses, 0,
            v.top1Agreement() >= tolerance.minTop1Agreement()),
        new ConformanceReport.Check("quantized/routing", 0, (int) v.routedTokens(), (int) v.routingFlips(),
            (int) v.routingNearTies(), v.routingAgreement() >= tolerance.minRoutingAgreement()),
        new ConformanceReport.Check("quantized/greedy_prefix", 0, v.greedyPrefixes().size(), rowsDiffering, 0,
            v.meanGreedyPrefix() >= tolerance.minGreedyPrefix()));
  }

  /** One backend's end-to-end pass: own image features, own embeddings, own greedy tokens. */
  private final class Run {
    final Backend backend;
    final Tensors.Decoded prefill;
    final TensorValue features;

    Run(Backend backend, TensorValue pixels, PromptBatch prompt) {
      this.backend = backend;
      features = Tensors.imageFeatures(backend, pixels);
      TensorValue embeds = Tensors.embed(backend, prompt.inputIds(), features);
      prefill = Tensors.decode(backend, embeds, prompt.attentionMask(), prompt.positionIds(),
          Tensors.KvCache.empty(backend.info(), prompts));
    }

    /** Per row, {@value #GREEDY_STEPS} greedy tokens decoded from this backend's own tokens. */
    List<List<Integer>> greedy(PromptBatch prompt) {
      int seq = (int) prompt.attentionMask().shape()[1];
      int[] mask = prompt.attentionMask().data();
      int[] lastPos = new int[prompts];
      for (int b = 0; b < prompts; b++) lastPos[b] = prompt.positionIds().data()[b * seq + seq - 1];
      List<List<Integer>> tokens = new ArrayList<>();
      for (int b = 0; b < prompts; b++) tokens.add(new ArrayList<>());
      TensorValue zeros = new TensorValue(features.shape(), new float[features.data().length]);
      Tensors.Decoded out = prefill;
      for (int step = 0; step < GREEDY_STEPS; step++) {
        int[] next = Comparisons.lastTokenArgmax(out.logits(), config.imageTokenIndex());
        for (int b = 0; b < prompts; b++) tokens.get(b).add(next[b]);
        if (step == GREEDY_STEPS - 1) break;
        int total = seq + step + 1;
        int[] newMask = new int[prompts * total];
        for (int b = 0; b < prompts; b++) {
          System.arraycopy(mask, b * (total - 1), newMask, b * total, total - 1);
          newMask[b * total + total - 1] = 1;
        }
        mask = newMask;
        int[] pos = new int[prompts];
        for (int b = 0; b < prompts; b++) pos[b] = ++lastPos[b];
        TensorValue embeds = Tensors.embed(backend, IntTensorValue.matrix(prompts, 1, next), zeros);
        out = Tensors.decode(backend, embeds, IntTensorValue.matrix(prompts, total, mask),
            IntTensorValue.matrix(prompts, 1, pos), out.present());
      }
      return tokens;
    }
  }

  /** Rows x steps to steps x rows, as {@link ConformanceReport} lists greedy tokens. */
  private static List<List<Integer>> transpose(List<List<Integer>> rows) {
    List<List<Integer>> out = new ArrayList<>();
    for (int s = 0; s < rows.get(0).size(); s++) {
      List<Integer> step = new ArrayList<>();
      for (List<Integer> r : rows) step.add(r.get(s));
      out.add(step);
    }
    return out;
  }
}
