package org.moellava.api;

import org.moellava.error.InvalidInputException;

import java.util.List;
import org.moellava.serve.engine.SamplingParams;

/**
 * How one generation picks its tokens and when it stops.
 *
 * @param maxTokens the most tokens to generate, at least 1
 * @param temperature 0 for greedy decoding (argmax, ties to the lower id); otherwise logits are divided by it
 * @param topP nucleus sampling mass in (0, 1]; 1 keeps every token
 * @param topK keep only the k most likely tokens; 0 keeps every token
 * @param seed seed of the request's own random stream: the same seed gives the same tokens, whatever else runs
 *     in the same batch
 * @param stop strings that end the generation; the text is cut before the first one found
 */
public record GenerationParams(int maxTokens, double temperature, double topP, int topK, long seed,
    List<String> stop) {

  /**
   * Checks the parameters.
   *
   *
   * @param maxTokens see {@link #maxTokens()}
   * @param temperature see {@link #temperature()}
   * @param topP see {@link #topP()}
   * @param topK see {@link #topK()}
   * @param seed see {@link #seed()}
   * @param stop see {@link #stop()}
   * @throws InvalidInputException if one is out of range or a stop string is empty
   */
  public GenerationParams {
    stop = List.copyOf(stop);
    toSampling(maxTokens, temperature, topP, topK, seed, stop); // the engine's own checks
  }

  /**
   * Greedy decoding of at most {@code maxTokens} tokens, no stop strings.
   *
   * @param maxTokens the most tokens to generate
   * @return the parameters
   */
  public static GenerationParams greedy(int maxTokens) {
    return new GenerationParams(maxTokens, 0, 1, 0, 0, List.of());
  }

  /**
   * Sampling at {@code temperature} with nucleus mass {@code topP}, seeded.
   *
   * @param maxTokens the most tokens to generate
   * @param temperature the temperature, greater than 0 to sample
   * @param topP the nucleus mass in (0, 1]
   * @param seed the seed
   * @return the parameters
   */
  public static GenerationParams sampled(int maxTokens, double temperature, double topP, long seed) {
    return new GenerationParams(maxTokens, temperature, topP, 0, seed, List.of());
  }

  /**
   * These parameters with {@code stop} as stop strings.
   *
   * @param stop the stop strings
   * @return new parameters
   */
  public GenerationParams withStop(List<String> stop) {
    return new GenerationParams(maxTokens, temperature, topP, topK, seed, stop);
  }

  /**
   * These parameters with {@code topK}.
   *
   * @param topK the number of most likely tokens kept, 0 for all
   * @return new parameters
   */
  public GenerationParams withTopK(int topK) {
    return new GenerationParams(maxTokens, temperature, topP, topK, seed, stop);
  }

  /**
   * These parameters with {@code maxTokens}.
   *
   * @param maxTokens the most tokens to generate
   * @return new parameters
   */
  public GenerationParams withMaxTokens(int maxTokens) {
    return new GenerationParams(maxTokens, temperature, topP, topK, seed, stop);
  }

  SamplingParams toSampling() {
    return toSampling(maxTokens, temperature, topP, topK, seed, stop);
  }

  private static SamplingParams toSampling(int maxTokens, double temperature, double topP, int topK, long seed,
      List<String> stop) {
    return new SamplingParams(temperature, topP, topK, seed, maxTokens, stop);
  }
}
