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
import org.moellava.tensor.IntTensorValue;
import org.moellava.tensor.TensorValue;

/**
 * Compares a package (ONNX Runtime) with the TF inference graphs on fixed seeded inputs: vision features, a
 * left-padded batch of two prompts with images (embeddings, logits, router logits and top-k choices, present
 * cache), then a greedy decode of {@value #DECODE_STEPS} tokens through the KV cache. Both backends are fed TF's
 * tokens; an argmax that differs while TF's top-two margin is clear fails.
 *
 * <p>A near-tie routed differently (allowed) legitimately changes that token's output and, through attention, every
 * later position of its row; those positions are left out of the tensor comparisons from then on, and counted.
 */
public final class ConformanceCheck {
  /** Greedy decode steps after the prompt. */
  public static final int DECODE_STEPS = 4;
  /** Seed of the inputs. */
  public static final long SEED = 20240115L;

  private final ModelConfig config;
  private final double tolerance;
  private final double routingMargin;
  private final List<ConformanceReport.Check> checks = new ArrayList<>();
  /** Per batch row, the first position whose hidden state a near-tie routing flip has changed. */
  private int[] divergedFrom = new int[0];

  /**
   * @param tolerance largest relative error (1e-4 for fp32, 1e-2 for fp16)
   * @param routingMargin router-logit margin of a near-tie
   */
  public ConformanceCheck(ModelConfig config, double tolerance, double routingMargin) {
    this.config = config;
    this.tolerance = tolerance;
    this.routingMargin = routingMargin;
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

    int longest = Math.min(p + 9, t.maxPositionEmbeddings() - DECODE_STEPS);
    PromptBatch prompt = PromptBatch.random(config, new int[] {longest, longest - 3}, true, SEED + 1);
    TensorValue tfEmbeds = Tensors.embed(tf, prompt.inputIds(), tfFeatures);
    tensor("prefill/inputs_embeds", tfEmbeds, Tensors.embed(pkg, prompt.inputIds(), tfFeatures));
    Tensors.Decoded tfOut = Tensors.decode(tf, tfEmbeds, prompt.attentionMask(), prompt.positionIds(),
        Tensors.KvCache.empty(tf.info(), batch));
    Tensors.Decoded pkgOut = Tensors.decode(pkg, tfEmbeds, prompt.attentionMask(), prompt.positionIds(),
        Tensors.KvCache.empty(pkg.info(), batch));
    divergedFrom = new int[batch];
    java.util.Arrays.fill(divergedFrom, Integer.MAX_VALUE);
    decoderOutputs("prefill", tfOut, pkgOut, 0);

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
      decoderOutputs("decode" + step, tfNext, pkgNext, total - 1);
      tfOut = tfNext;
      pkgOut = pkgNext;
    }
    boolean passed = checks.stream().allMatch(ConformanceReport.Check::passed);
    return new ConformanceReport(precision, moeMode, tolerance, routingMargin, SEED, List.copyOf(checks), tfTokens,
        pkgTokens, passed);
  }

  /**
   * Compares logits, presents and router logits of one decoder pass whose new tokens start at position
   * {@code offset}.
   */
  private void decoderOutputs(String name, Tensors.Decoded tf, Tensors.Decoded pkg, int offset) {
    long[] ls = tf.logits().shape(); // [B, S, V]
    int batch = (int) ls[0];
    int seq = (int) ls[1];
    int k = config.textConfig().numExpertsPerTok();
    for (Map.Entry<Integer, TensorValue> e : tf.routerLogits().entrySet()) {
      RoutingComparison r = RoutingComparison.compare(e.getValue(), pkg.routerLogits().get(e.getKey()), k,
          routingMargin);
      for (int token : r.nearTieTokens()) {
        int b = token / seq;
        divergedFrom[b] = Math.min(divergedFrom[b], offset + token % seq);
      }
      checks.add(new ConformanceReport.Check(name + "/routing." + e.getKey(), 0, r.tokens(), r.mismatches(),
          r.nearTies(), r.mismatches() == 0));
    }
    int vocab = (int) ls[2];
    tensor(name + "/logits", tf.logits(), pkg.logits(), i -> live(i / vocab / seq, offset + (i / vocab) % seq));
    for (int i = 0; i < tf.present().keys().size(); i++) {
      long[] ps = tf.present().keys().get(i).shape(); // [B, H, T, hd]
      int heads = (int) ps[1];
      int total = (int) ps[2];
      int hd = (int) ps[3];
      java.util.function.IntPredicate keep = x -> live(x / hd / total / heads, (x / hd) % total);
      tensor(name + "/present." + i + ".key", tf.present().keys().get(i), pkg.present().keys().get(i), keep);
      tensor(name + "/present." + i + ".value", tf.present().values().get(i), pkg.present().values().get(i), keep);
    }
    int experts = config.textConfig().numExperts();
    for (Map.Entry<Integer, TensorValue> e : tf.routerLogits().entrySet()) {
      tensor(name + "/router_logits." + e.getKey(), e.getValue(), pkg.routerLogits().get(e.getKey()),
          x -> live(x / experts / seq, offset + (x / experts) % seq));
    }
    if (batch != divergedFrom.length) throw new IllegalStateException("batch changed");
  }

  private boolean live(int row, int position) {
    return position < divergedFrom[row];
  }

  private void tensor(String name, TensorValue expected, TensorValue actual) {
    tensor(name, expected, actual, i -> true);
  }

  private void tensor(String name, TensorValue expected, TensorValue actual, java.util.function.IntPredicate keep) {
    double err = Comparisons.relativeError(expected, actual, keep);
    checks.add(new ConformanceReport.Check(name, err, 0, 0, 0, err <= tolerance));
  }

  /** Last-position argmax per row: a differing choice fails unless TF's top-two gap is within the tolerance. */
  private void greedyChoice(String name, TensorValue expected, TensorValue actual) {
    int[] a = Comparisons.lastTokenArgmax(expected, config.imageTokenIndex());
    int[] b = Comparisons.lastTokenArgmax(actual, config.imageTokenIndex());
    long[] s = expected.shape();
    int seq = (int) s[1];
    int vocab = (int) s[2];
    double scale = 1e-6;
    for (float x : expected.data()) scale = Math.max(scale, Math.abs(x));
    int mismatches = 0;
    int nearTies = 0;
    for (int row = 0; row < a.length; row++) {
      if (a[row] == b[row]) continue;
      int base = (row * seq + seq - 1) * vocab;
      double gap = expected.data()[base + a[row]] - expected.data()[base + b[row]];
      if (gap <= 2 * tolerance * scale) nearTies++;
      else mismatches++;
    }
    checks.add(new ConformanceReport.Check(name, 0, a.length, mismatches, nearTies, mismatches == 0));
  }

  private static List<Integer> box(int[] values) {
    List<Integer> out = new ArrayList<>();
    for (int x : values) out.add(x);
    return out;
  }
}
