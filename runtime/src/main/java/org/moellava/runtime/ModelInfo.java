package org.moellava.runtime;

import java.util.List;

/**
 * What the serving layer needs to know about a loaded model. A backend reads it from its model package
 * ({@code model.json}); the engine sizes its KV caches and batches from it.
 *
 * @param vocabSize V, the width of the logits
 * @param hiddenSize D, the width of {@code inputs_embeds} and of the image features
 * @param numLayers L, decoder layers (one past/present key and value pair each)
 * @param numKeyValueHeads Hkv, key/value heads of grouped-query attention
 * @param headDim hd, the width of one head
 * @param maxContext the most positions one sequence may hold (prompt plus generated tokens)
 * @param numImageTokens P, image tokens one image expands to
 * @param imageTokenId id of the image placeholder token
 * @param eosTokenId end-of-sequence token id
 * @param padTokenId padding token id
 * @param moeLayers decoder layer indices that hold a router, ascending; {@code router_logits.{j}} belongs to
 *     {@code moeLayers.get(j)}
 * @param numExperts E, experts per MoE layer
 * @param expertsPerToken k, experts each token is routed to
 * @param imageSize side of the square image the vision tower takes (H = W)
 * @param modelId the name clients use in {@code "model"}
 */
public record ModelInfo(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numKeyValueHeads,
    int headDim,
    int maxContext,
    int numImageTokens,
    int imageTokenId,
    int eosTokenId,
    int padTokenId,
    List<Integer> moeLayers,
    int numExperts,
    int expertsPerToken,
    int imageSize,
    String modelId) {

  public ModelInfo {
    moeLayers = List.copyOf(moeLayers);
    requirePositive("vocabSize", vocabSize);
    requirePositive("hiddenSize", hiddenSize);
    requirePositive("numLayers", numLayers);
    requirePositive("numKeyValueHeads", numKeyValueHeads);
    requirePositive("headDim", headDim);
    requirePositive("maxContext", maxContext);
    requirePositive("imageSize", imageSize);
    if (numImageTokens < 0) {
      throw new IllegalArgumentException("numImageTokens must be >= 0, got " + numImageTokens);
    }
    if (!moeLayers.isEmpty() && (expertsPerToken < 1 || expertsPerToken > numExperts)) {
      throw new IllegalArgumentException(
          "expertsPerToken must be in [1, numExperts=" + numExperts + "], got " + expertsPerToken);
    }
    for (int layer : moeLayers) {
      if (layer < 0 || layer >= numLayers) {
        throw new IllegalArgumentException("MoE layer " + layer + " is outside [0, " + numLayers + ")");
      }
    }
    if (modelId == null || modelId.isBlank()) {
      throw new IllegalArgumentException("modelId must not be blank");
    }
  }

  /** Floats in one layer's key (or value) cache per sequence and position: Hkv * hd. */
  public int kvWidth() {
    return numKeyValueHeads * headDim;
  }

  private static void requirePositive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
  }
}
