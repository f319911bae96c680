package org.moellava.api;

import java.util.List;

/**
 * What an open model is and how it runs.
 *
 * @param modelId the model's id from its package
 * @param backend the backend running it: {@code onnxruntime-cpu}, {@code onnxruntime-cuda},
 *     {@code onnxruntime-tensorrt}, {@code tensorrt} or {@code tensorflow}
 * @param vocabSize the vocabulary size
 * @param maxContext the most tokens of prompt plus answer
 * @param imageSize the vision tower's input side in pixels
 * @param imageTokens the tokens one image takes in the prompt
 * @param moeLayers the decoder layers that are MoE layers
 * @param numExperts experts per MoE layer
 * @param expertsPerToken experts each token is routed to (top-k)
 * @param systemPrompt the chat template's default system prompt
 */
public record ModelDetails(String modelId, String backend, int vocabSize, int maxContext, int imageSize,
    int imageTokens, List<Integer> moeLayers, int numExperts, int expertsPerToken, String systemPrompt) {
  /**
   * Copies the list.
   *
   * @param modelId see {@link #modelId()}
   * @param backend see {@link #backend()}
   * @param vocabSize see {@link #vocabSize()}
   * @param maxContext see {@link #maxContext()}
   * @param imageSize see {@link #imageSize()}
   * @param imageTokens see {@link #imageTokens()}
   * @param moeLayers see {@link #moeLayers()}
   * @param numExperts see {@link #numExperts()}
   * @param expertsPerToken see {@link #expertsPerToken()}
   * @param systemPrompt see {@link #systemPrompt()}
   */
  public ModelDetails {
    moeLayers = List.copyOf(moeLayers);
  }
}
