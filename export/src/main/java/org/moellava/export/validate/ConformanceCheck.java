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
import org.moellava.runtime.conformance.DecisionTally;
import org.moellava.runtime.conformance.GreedyComparison;
import org.moellava.runtime.conformance.RoutingComparison;
import org.moellava.runtime.conformance.RowDivergence;
import org.moellava.runtime.conformance.TensorDiff;
import org.moellava.runtime.conformance.Tolerance;
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;

/**
 * Compares a package (ONNX Runtime) with the TF inference graphs on fixed seeded inputs: vision features, a
 * left-padded batch of two prompts with images (embeddings, logits, router logits and top-k choices, present
 * cache), then a greedy decode of {@value #DECODE_STEPS} tokens through the KV cache. Both backends are fed TF's
 * tokens. The comparisons are the conformance engine's ({@code org.moellava.runtime.conformance}), as in the
 * conformance suite: relative errors by {@link TensorDiff} (logits and router logits per position), expert choices
 * and greedy tokens by its near-tie rule, an expert set or argmax that differs beyond it fails.
 *
 * <p>A near-tie routed differently (allowed) legitimately changes that token's output and, through attention, every
 * later position of its row; those positions are left out of the comparisons from then on
 * ({@link RowDivergence}).
 *
 * <p>Left padding ({@code attention_mask} 0) is left out too, as the conformance suite does: a padding position
 * attends to nothing real, so from the first layer on its hidden state, routing, present key/value and logits are
 * whatever the backend's arithmetic makes of a fully masked softmax. fp32 backends happen to agree there; an fp16
 * package does not (its mask bias and scores are rounded differently), and those values are never read.
 */
public final class ConformanceCheck {
  /** Greedy decode steps after the prompt. */
  public static final int DECODE_STEPS = 4;
  /** Seed of the inputs. */
  public static final long SEED = 20240115L;

  private final ModelConfig config;
  private final Tolerance tolerance;
  private final List<ConformanceReport.Check> checks = new ArrayList<>();
  /** Per batch row, the positions a near-tie routing flip may have changed. */
  private RowDivergence divergence = new RowDivergence(0);
  /** The position of the last token of the latest decoder call, whose logits choose the next token. */
  private int lastPosition;

  private final boolean textOnlyPrompts;

  /** @param tolerance of the package precision ({@link Tolerance#FP32}, {@link Tolerance#FP16}) */
  public ConformanceCheck(ModelConfig config, Tolerance tolerance) {
    this(config, tolerance, false);
  }

  /**
   * @param textOnlyPrompts the decoder's prompts without the P image tokens (12 and 9 text tokens; the vision tower
   *     is still checked on two images): at full size, where a TensorFlow prefill of two image prompts (2 x 585
   *     positions) needs several GB of activations beside its float32 weights
   */
  public ConformanceCheck(ModelConfig config, Tolerance tolerance, boolean textOnlyPrompts) {
    this.config = config;
    this.tolerance = tolerance;
    this.textOnlyPrompts = textOnlyPrompts;
  }

  /** Runs every comparison between {@code tf} (the reference) and {@code pkg}; the caller closes both. */
  public ConformanceReport run(Backend tf, Backend pkg, String precision, String moeMode) {
    VisionConfig v = config.visionConfig();
    TextConfig t = config.textConfig();
    int p = v.numPatches();
    SplittableRandom rnd = new SplittableRandom(SEED);
    int batch = 2;
    float[] pixels = new float[batch * v.numChannels() * v.imageSize() * v.imageSize()];
    for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (rnd.nextDouble() * 4 - 2);
    TensorValue pixelValues = new TensorValue(new long[] {batch, v.numChannels(), v.imageSize(), v.imageSize()},
        pixels);
    TensorValue tfFeatures = Tensors.imageFeatures(tf, pixelValues);
    TensorValue pkgFeatures = Tensors.imageFeatures(pkg, pixelValues);
    tensor("vision/image_features", tfFeatures, pkgFeatures);

    int longest = Math.min(textOnlyPrompts ? 12 : p + 9, t.maxPositionEmbeddings() - DECODE_STEPS);
    PromptBatch prompt = PromptBatch.random(config, new int[] {longest, longest - 3}, !textOnlyPrompts, SEED + 1);
    TensorValue tfEmbeds = Tensors.embed(tf, prompt.inputIds(), tfFeatures);
    tensor("prefill/inputs_embeds", tfEmbeds, Tensors.embed(pkg, prompt.inputIds(), tfFeatures));
    Tensors.Decoded tfOut = Tensors.decode(tf, tfEmbeds, prompt.attentionMask(), prompt.positionIds(),
        Tensors.KvCache.empty(tf.info(), batch));
    Tensors.Decoded pkgOut = Tensors.decode(pkg, tfEmbeds, prompt.attentionMask(), prompt.positionIds(),
        Tensors.KvCache.empty(pkg.info(), batch));
    divergence = new RowDivergence(batch);
    decoderOutputs("prefill", tfOut, pkgOut, 0, prompt.attentionMask().data());

    List<List<Integer>> tfTokens = new ArrayList<>();
    List<List<Integer>> pkgTokens = new ArrayList<>();
    int[] mask = prompt.attentionMask().data();
    int seq = (int) prompt.attentionMask().shape()[1];
    int[] lastPos = new int[batch];
    for (int b = 0; b < batch; b++) lastPos[b] = prompt.positionIds().data()[b * seq + seq - 1];
    TensorValue zeros = new TensorValue(tfFeatures.shape(), new float[tfFeatures.data().length]);
    for (int step = 0; step < DECODE_STEPS; step++) {
      int[] next = Comparisons.lastTokenArgmax(tfOut.logits(), config.imageTokenIndex());
      tfTokens.add(box(next));
      pkgTokens.add(box(Comparisons.lastTokenArgmax(pkgOut.logits(), config.imageTokenIndex())));
      greedyChoice("decode" + step + "/argmax", tfOut.logits(), pkgOut.logits());
      int total = seq + step + 1;
      int[] newMask = new int[batch * total];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(mask, b * (total - 1), newMask, b * total, total - 1);
        newMask[b * total + total - 1] = 1;
      }
      mask = newMask;
      int[] pos = new int[batch];
      for (int b = 0; b < batch; b++) pos[b] = ++lastPos[b];
      IntTensorValue ids = IntTensorValue.matrix(batch, 1, next);
      TensorValue embeds = Tensors.embed(tf, ids, zeros);
      IntTensorValue maskValue = IntTensorValue.matrix(batch, total, mask);
      IntTensorValue posValue = IntTensorValue.matrix(batch, 1, pos);
      Tensors.Decoded tfNext = Tensors.decode(tf, embeds, maskValue, posValue, tfOut.present());
      Tensors.Decoded pkgNext = Tensors.decode(pkg, embeds, maskValue, posValue, pkgOut.present());
      decoderOutputs("decode" + step, tfNext, pkgNext, total - 1, mask);
      tfOut = tfNext;
      pkgOut = pkgNext;
    }
    boolean passed = checks.stream().allMatch(ConformanceReport.Check::passed);
    return new ConformanceReport(precision, moeMode, tolerance.relative(), SEED, List.copyOf(checks), tfTokens,
        pkgTokens, passed);
  }

  /**
   * Compares routing, logits, presents and router logits of one decoder pass whose new tokens start at position
   * {@code offset}, at the positions {@code mask [B, offset + S]} marks real (1) and no near-tie flip has changed.
   */
  private void decoderOutputs(String name, Tensors.Decoded tf, Tensors.Decoded pkg, int offset, int[] mask) {
    long[] ls = tf.logits().shape(); // [B, S, V]
    int batch = (int) ls[0];
    int seq = (int) ls[1];
    if (batch != divergence.rows()) throw new IllegalStateException("batch changed");
    int positions = offset + seq;
    if (mask.length != batch * positions) {
      throw new IllegalStateException("attention mask holds " + mask.length + " values for " + batch + " x "
          + positions + " positions");
    }
    PositionFilter real = (row, position) -> mask[row * positions + position] != 0;
    lastPosition = offset + seq - 1;
    TextConfig t = config.textConfig();
    RoutingComparison routing = new RoutingComparison(tolerance, t.numExperts(), t.numExpertsPerTok(), 0);
    List<Integer> layers = new ArrayList<>();
    List<float[]> tfRouters = new ArrayList<>();
    List<float[]> pkgRouters = new ArrayList<>();
    for (Map.Entry<Integer, TensorValue> e : tf.routerLogits().entrySet()) {
      TensorValue theirs = pkg.routerLogits().get(e.getKey());
      if (theirs == null || !java.util.Arrays.equals(theirs.shape(), e.getValue().shape())) {
        int n = (int) e.getValue().shape()[0];
        checks.add(new ConformanceReport.Check(name + "/routing." + e.getKey(), 0, n, n, 0, false));
        continue;
      }
      layers.add(e.getKey());
      tfRouters.add(e.getValue().data());
      pkgRouters.add(theirs.data());
    }
    routing.compareCall(name, 0, layers, tfRouters, pkgRouters, seq, offset,
        token -> real.test(token / seq, offset + token % seq), divergence);
    for (int layer : layers) {
      DecisionTally d = routing.tally(layer);
      checks.add(new ConformanceReport.Check(name + "/routing." + layer, 0, (int) d.compared(), (int) d.flips(),
          (int) d.nearTies(), d.flips() == 0));
    }
    check(name + "/logits", TensorDiff.rows(pkg.logits(), tf.logits(),
        row -> real.test(row / seq, offset + row % seq) && divergence.live(row / seq, offset + row % seq)));
    for (int i = 0; i < tf.present().keys().size(); i++) {
      long[] ps = tf.present().keys().get(i).shape(); // [B, H, T, hd]
      int heads = (int) ps[1];
      int total = (int) ps[2];
      int hd = (int) ps[3];
      java.util.function.IntPredicate keep = x -> {
        int row = x / hd / total / heads;
        int position = (x / hd) % total; // total == positions: the present holds every position so far
        return real.test(row, position) && divergence.live(row, position);
      };
      check(name + "/present." + i + ".key",
          TensorDiff.of(pkg.present().keys().get(i), tf.present().keys().get(i), keep));
      check(name + "/present." + i + ".value",
          TensorDiff.of(pkg.present().values().get(i), tf.present().values().get(i), keep));
    }
    Map<Integer, TensorDiff> routerDiffs = routing.routerLogits();
    for (Map.Entry<Integer, TensorValue> e : tf.routerLogits().entrySet()) {
      TensorDiff diff = layers.contains(e.getKey()) ? routerDiffs.getOrDefault(e.getKey(), TensorDiff.NONE)
          : TensorDiff.INCOMPARABLE;
      check(name + "/router_logits." + e.getKey(), diff);
    }
  }

  /** Whether position {@code position} of batch row {@code row} takes part in a comparison. */
  @FunctionalInterface
  private interface PositionFilter {
    boolean test(int row, int position);
  }

  private void tensor(String name, TensorValue expected, TensorValue actual) {
    check(name, TensorDiff.of(actual, expected));
  }

  private void check(String name, TensorDiff diff) {
    checks.add(new ConformanceReport.Check(name, diff.maxRel(), 0, 0, 0, diff.within(tolerance)));
  }

  /**
   * The argmax of the last position per row: a token that differs from TF's fails unless TF prefers its own token
   * by no more than the near-tie allowance; rows diverged by a near-tie routing flip are left out.
   */
  private void greedyChoice(String name, TensorValue expected, TensorValue actual) {
    int[] a = Comparisons.lastTokenArgmax(expected, config.imageTokenIndex());
    int[] b = Comparisons.lastTokenArgmax(actual, config.imageTokenIndex());
    long[] s = expected.shape(); // [B, S, V]
    int seq = (int) s[1];
    int vocab = (int) s[2];
    DecisionTally d = new DecisionTally();
    GreedyComparison.compare(expected.data(), vocab, row -> (row * seq + seq - 1) * vocab, lastPosition, a, b,
        tolerance, divergence, d);
    checks.add(new ConformanceReport.Check(name, 0, (int) d.compared(), (int) d.flips(), (int) d.nearTies(),
        d.flips() == 0));
  }

  private static List<Integer> box(int[] values) {
    List<Integer> out = new ArrayList<>();
    for (int x : values) out.add(x);
    return out;
  }
}
