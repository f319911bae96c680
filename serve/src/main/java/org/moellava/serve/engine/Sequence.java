package org.moellava.serve.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The state of one request inside the engine. Mutated by the scheduler thread only, except the cancel flag. */
final class Sequence implements GenerationHandle {
  final GenerationRequest request;
  final GenerationListener listener;
  final long submittedNanos;
  final SplittableRandom random;
  final TextAssembler text;
  final int[] generated;
  final List<int[][]> routed = new ArrayList<>();
  private final GenerationEngine engine;
  private volatile boolean cancelled;
  KvCache cache;
  int count;
  long timeToFirstTokenNanos = -1;

  Sequence(GenerationEngine engine, GenerationRequest request, GenerationListener listener, TokenDecoder decoder) {
    this.engine = engine;
    this.request = request;
    this.listener = listener;
    this.submittedNanos = System.nanoTime();
    this.random = new SplittableRandom(request.sampling().seed());
    this.text = new TextAssembler(decoder, request.sampling().stop());
    this.generated = new int[request.sampling().maxTokens()];
  }

  @Override
  public void cancel() {
    cancelled = true;
    engine.cancelQueued(this);
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  /** The token to feed at the next decode step. */
  int lastToken() {
    return generated[count - 1];
  }

  void append(int token, int[][] experts) {
    generated[count++] = token;
    routed.add(experts);
  }

  GenerationResult result(FinishReason reason) {
    int[] tokens = java.util.Arrays.copyOf(generated, count);
    return new GenerationResult(request.requestId(), tokens, text.text(), reason, request.promptIds().length,
        routed, timeToFirstTokenNanos);
  }
}
