package org.moellava.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.moellava.tensor.TensorValue;

/**
 * Accumulates router decisions over many tokens (MoE-LLaVA's quantitative routing analysis). Per MoE layer and
 * expert it counts top-k assignments (split by text and image tokens) and top-1 choices; per token it records the
 * pathway, the tuple of top-1 experts over the MoE layers.
 */
public final class RoutingStatistics {
  /** Text tokens (index 0) and image tokens (index 1). */
  static final int TEXT = 0;
  static final int IMAGE = 1;

  private final List<Integer> layers;
  private final int experts;
  private final int topK;
  private final long[][][] assignments; // [layer][expert][modality]
  private final long[][] top1; // [layer][expert]
  private final long[] tokens = new long[2]; // per modality
  private final Map<List<Integer>, long[]> pathways = new HashMap<>(); // pathway -> count per modality

  /**
   * @param moeLayers the MoE layer indices, ascending
   * @param experts E
   * @param topK k
   */
  public RoutingStatistics(List<Integer> moeLayers, int experts, int topK) {
    this.layers = List.copyOf(moeLayers);
    this.experts = experts;
    this.topK = topK;
    this.assignments = new long[layers.size()][experts][2];
    this.top1 = new long[layers.size()][experts];
  }

  /**
   * Adds the tokens of one decoder pass.
   *
   * @param routerLogits per MoE layer {@code [N, E]} ({@code N = B*S} tokens, row-major over batch and sequence)
   * @param include {@code [N]} which tokens count (padding does not)
   * @param image {@code [N]} which tokens are image tokens
   */
  public void add(Map<Integer, TensorValue> routerLogits, boolean[] include, boolean[] image) {
    int n = include.length;
    List<float[]> perLayer = new ArrayList<>(layers.size());
    for (int layer : layers) {
      TensorValue t = routerLogits.get(layer);
      if (t == null) throw new IllegalArgumentException("no router logits for MoE layer " + layer);
      if (t.shape().length != 2 || t.shape()[0] != n || t.shape()[1] != experts) {
        throw new IllegalArgumentException("router_logits." + layer + ": expected [" + n + ", " + experts + "], got "
            + t.shapeText());
      }
      perLayer.add(t.data());
    }
    for (int token = 0; token < n; token++) {
      if (!include[token]) continue;
      int modality = image[token] ? IMAGE : TEXT;
      tokens[modality]++;
      List<Integer> path = new ArrayList<>(layers.size());
      for (int l = 0; l < layers.size(); l++) {
        int[] top = TopK.indices(perLayer.get(l), token * experts, experts, topK);
        for (int e : top) assignments[l][e][modality]++;
        top1[l][top[0]]++;
        path.add(top[0]);
      }
      pathways.computeIfAbsent(List.copyOf(path), p -> new long[2])[modality]++;
    }
  }

  /** The MoE layers. */
  public List<Integer> layers() {
    return layers;
  }

  /** E. */
  public int experts() {
    return experts;
  }

  /** k. */
  public int topK() {
    return topK;
  }

  /** Tokens counted: text, image. */
  public long tokens(boolean image) {
    return tokens[image ? IMAGE : TEXT];
  }

  /** All tokens counted. */
  public long totalTokens() {
    return tokens[TEXT] + tokens[IMAGE];
  }

  /** Top-k assignments of MoE layer number {@code l} (position in {@link #layers()}) to expert {@code e}. */
  public long assignments(int l, int e, boolean image) {
    return assignments[l][e][image ? IMAGE : TEXT];
  }

  /** Top-k assignments to expert {@code e} at MoE layer number {@code l}, both modalities. */
  public long assignments(int l, int e) {
    return assignments[l][e][TEXT] + assignments[l][e][IMAGE];
  }

  /** Tokens whose top-1 choice at MoE layer number {@code l} is {@code e}. */
  public long top1(int l, int e) {
    return top1[l][e];
  }

  /**
   * The expert's share of the layer's load: its top-k assignments over all top-k assignments of the layer
   * (tokens times k); the shares of a layer sum to 1.
   */
  public double loadShare(int l, int e) {
    long all = totalTokens() * topK;
    return all == 0 ? 0.0 : (double) assignments(l, e) / all;
  }

  /** Of the tokens routed to expert {@code e} at MoE layer number {@code l}, the fraction that are image tokens. */
  public double imageFraction(int l, int e) {
    long all = assignments(l, e);
    return all == 0 ? 0.0 : (double) assignments(l, e, true) / all;
  }

  /**
   * The {@code n} most frequent pathways, most first (ties in label order), counting text tokens, image tokens or
   * both ({@code modality} null); shares are of the tokens of that modality.
   */
  public List<Pathway> topPathways(int n, Boolean modality) {
    long total = modality == null ? totalTokens() : tokens(modality);
    List<Pathway> all = new ArrayList<>();
    for (Map.Entry<List<Integer>, long[]> e : pathways.entrySet()) {
      long[] c = e.getValue();
      long count = modality == null ? c[TEXT] + c[IMAGE] : c[modality ? IMAGE : TEXT];
      if (count > 0) all.add(new Pathway(e.getKey(), count, total == 0 ? 0.0 : (double) count / total));
    }
    all.sort(Comparator.comparingLong(Pathway::tokens).reversed().thenComparing(Pathway::label));
    return all.subList(0, Math.min(n, all.size()));
  }

  /** Distinct pathways seen. */
  public int distinctPathways() {
    return pathways.size();
  }
}
