package org.moellava.conformance;

import java.util.List;

/**
 * Everything a backend produced for one {@link ConformanceCase}, copied out of the backend's buffers.
 *
 * @param imageFeatures {@code [B, P, D]}, or null for a text-only case
 * @param stepLogits per call (prefill first, then each decode step): logits of the last position {@code [B, V]}
 * @param prefillLogits logits of every prompt position {@code [B, S, V]}
 * @param prefillKeys per decoder layer, {@code present.{i}.key [B, Hkv, S, hd]} after the prefill
 * @param stepRouterLogits per call, per MoE layer: {@code [B * S_call, E]}
 * @param tokens per row, the decoded tokens {@code [B][decodeSteps]}
 */
public record BackendTrace(float[] imageFeatures, List<float[]> stepLogits, float[] prefillLogits,
    List<float[]> prefillKeys, List<List<float[]>> stepRouterLogits, int[][] tokens) {}
