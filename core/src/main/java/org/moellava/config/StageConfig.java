package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Optimiser settings of one training stage.
 *
 * @param learningRate peak learning rate of the cosine schedule
 * @param batchSize samples per micro-batch
 * @param steps optimiser steps
 * @param warmupRatio fraction of steps with linear warm-up (0.03)
 * @param weightDecay AdamW decoupled weight decay
 * @param maxGradNorm clip gradients to this global norm; 0 disables clipping
 * @param gradAccumSteps micro-batches per optimiser step
 * @param checkpointEvery save a checkpoint every this many steps; 0 saves only at the end
 */
public record StageConfig(
    @JsonProperty(value = "learning_rate", required = true) double learningRate,
    @JsonProperty(value = "batch_size", required = true) int batchSize,
    @JsonProperty(value = "steps", required = true) int steps,
    @JsonProperty(value = "warmup_ratio", required = true) double warmupRatio,
    @JsonProperty(value = "weight_decay", required = true) double weightDecay,
    @JsonProperty(value = "max_grad_norm", required = true) double maxGradNorm,
    @JsonProperty(value = "grad_accum_steps", required = true) int gradAccumSteps,
    @JsonProperty(value = "checkpoint_every", required = true) int checkpointEvery) {}
