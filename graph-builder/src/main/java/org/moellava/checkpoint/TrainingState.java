package org.moellava.checkpoint;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where training stands when a checkpoint is written ({@code state.json}).
 *
 * @param stage the training stage ({@code vision}, {@code stage1}, {@code stage2}, {@code stage3}, or
 *     {@code imported} for weights that came from elsewhere)
 * @param step optimiser steps done in that stage
 * @param dataCursor samples of the stage's data order consumed so far, to resume mid-epoch
 * @param seed the run seed
 * @param metrics named scalar metrics at this step (loss, aux loss, ...)
 */
public record TrainingState(
    @JsonProperty(value = "stage", required = true) String stage,
    @JsonProperty(value = "step", required = true) long step,
    @JsonProperty(value = "data_cursor", required = true) long dataCursor,
    @JsonProperty(value = "seed", required = true) long seed,
    @JsonProperty(value = "metrics", required = true) Map<String, Double> metrics) {

  public TrainingState {
    metrics = Collections.unmodifiableMap(new TreeMap<>(metrics));
  }

  /** The state of a checkpoint that holds imported weights and no training progress. */
  public static TrainingState imported(long seed) {
    return new TrainingState("imported", 0, 0, seed, Map.of());
  }
}
