package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Per-stage training settings of MoE-Tuning (docs/architecture.md §2) and the run seed.
 *
 * @param seed seed of initialisation, data order and noise
 * @param vision vision-encoder pretraining (stands in for CLIP)
 * @param stage1 stage I: projector on captions
 * @param stage2 stage II: LLM and projector on instructions
 * @param stage3 stage III: FFNs, experts, routers and projector
 * @param keepCheckpoints how many checkpoints a run keeps
 */
public record TrainingConfig(
    @JsonProperty(value = "seed", required = true) long seed,
    @JsonProperty(value = "vision", required = true) StageConfig vision,
    @JsonProperty(value = "stage1", required = true) StageConfig stage1,
    @JsonProperty(value = "stage2", required = true) StageConfig stage2,
    @JsonProperty(value = "stage3", required = true) StageConfig stage3,
    @JsonProperty(value = "keep_checkpoints", required = true) int keepCheckpoints) {}
