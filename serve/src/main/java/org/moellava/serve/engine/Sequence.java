package org.moellava.serve.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of one request inside the engine, and the calls to its listener. Mutated by the scheduler thread
 * only, except the cancel flag.
 */
final class Sequence implements GenerationHandle {
  private static final Logger LOG = LoggerFactory.getLogger(GenerationEngine.class); // the engine's log, as before
  final GenerationRequest request;
  final GenerationListener listener;
  final long submittedNanos;
  final SplittableRandom random;
  final TextAssembler text;
  final int[] generated;
  final List<int[][]> routed = new ArrayList<>();
  final List<TokenLogprobs> logprobs = new ArrayList<>();
  /** This sequence's structured-output state, or null. */
  final TokenConstraint constraint;
  private final Scheduler scheduler;
  private volatile boolean cancelled;
  private FinishReason finish;
  KvCache cache;
  /** The digest of the image's pixel values when prefix caching is on and there is an image, else null. */
  final byte[] imageDigest;
  /** Prompt positions whose keys and values came from the prefix cache. */
  int cachedPromptTokens;
  int count;
  long timeToFirstTokenNanos = -1;

  /**
   * @param digestImage whether to hash the image for the prefix cache (on the caller's thread, not the scheduler's)
   */
  Sequence(Scheduler scheduler, GenerationRequest request, GenerationListener listener, TokenDecoder decoder,
      boolean digestImage) {
    this.scheduler = scheduler;
    this.imageDigest = digestImage && request.pixelValues() != null
        ? PrefixCache.imageDigest(request.pixelValues()) : null;
    this.request = request;
    this.listener = listener;
    this.submittedNanos = System.nanoTime();
    this.random = new SplittableRandom(request.sampling().seed());
    this.text = new TextAssembler(decoder, request.sampling().stop());
    this.generated = new int[request.sampling().maxTokens()];
    this.constraint = request.constraint() == null ? null : request.constraint().start();
  }

  @Override
  public void cancel() {
    cancelled = true;
    scheduler.cancelQueued(this);
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  /** The prompt and the generated tokens so far, in order. */
  int[] tokens() {
    int[] prompt = request.promptIds();
    int[] all = Arrays.copyOf(prompt, prompt.length + count);
    System.arraycopy(generated, 0, all, prompt.length, count);
    return all;
  }

  /** The token to feed at the next decode step. */
  int lastToken() {
    return generated[count - 1];
  }

  void append(int token, int[][] experts, TokenLogprobs tokenLogprobs) {
    if (constraint != null) {
      constraint.accept(token);
    }
    generated[count++] = token;
    routed.add(experts);
    if (tokenLogprobs != null) {
      logprobs.add(tokenLogprobs);
    }
  }

  /**
   * The text that became final with the token just appended; sets {@link #finishReason()} when that token ends
   * the sequence: end-of-sequence or a stop string (STOP), or {@code max_tokens} reached (LENGTH). The context
   * cannot run out first: {@link RequestValidator#checkContext} admits only prompt + max_tokens within it.
   */
  String settle(int eosTokenId) {
    int token = generated[count - 1];
    String delta;
    if (token == eosTokenId) {
      finish = FinishReason.STOP;
      delta = text.flush();
    } else {
      delta = text.accept(generated, count);
      if (text.stopped()) {
        finish = FinishReason.STOP;
      }
    }
    if (finish == null && count >= request.sampling().maxTokens()) {
      finish = FinishReason.LENGTH;
      delta += text.flush();
    }
    return delta;
  }

  /** Why the sequence ended, or null while it runs. */
  FinishReason finishReason() {
    return finish;
  }

  /** Streams {@code token} to the listener; a listener that throws cancels its own request. */
  void sendToken(GeneratedToken token) {
    try {
      listener.onToken(token);
    } catch (RuntimeException e) {
      LOG.warn("listener of request {} failed; cancelling it: {}", request.requestId(), e.toString());
      cancel();
    }
  }

  /** Ends the stream normally. */
  void sendFinish(FinishReason reason) {
    try {
      listener.onFinish(result(reason));
    } catch (RuntimeException e) {
      LOG.warn("listener of request {} failed on finish: {}", request.requestId(), e.toString());
    }
  }

  /** Ends the stream with {@code error}. */
  void sendError(RuntimeException error) {
    try {
      listener.onError(error);
    } catch (RuntimeException e) {
      LOG.warn("listener of request {} failed on error: {}", request.requestId(), e.toString());
    }
  }

  private GenerationResult result(FinishReason reason) {
    int[] tokens = Arrays.copyOf(generated, count);
    return new GenerationResult(request.requestId(), tokens, text.text(), reason, request.promptIds().length,
        routed, timeToFirstTokenNanos, logprobs, cachedPromptTokens);
  }
}
