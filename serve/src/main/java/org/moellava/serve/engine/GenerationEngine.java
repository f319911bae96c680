package org.moellava.serve.engine;

import java.util.concurrent.CompletableFuture;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;

/**
 * Continuous-batching generation over one {@link Backend}. One scheduler thread owns the backend and loops:
 *
 * <ol>
 *   <li>admit queued requests while a slot is free and prefill them together: their prompts, left-padded to
 *       the longest (at most 4096 padded tokens, batch x longest prompt, per call), go through the
 *       vision tower, the embedding and the decoder as one batch with past 0, and each samples its first token.
 *       With prefix caching ({@link EngineConfig#prefixCacheBytes()}), a prompt that starts with blocks an earlier
 *       prompt computed copies their keys and values into its slot and computes only its rest, over that past;
 *   <li>drop cancelled sequences, freeing their slots;
 *   <li>run one decode step for all running sequences together: each feeds its last token; their pasts,
 *       of different lengths, are left-padded to the longest and masked with 0 in {@code attention_mask};
 *       position ids are each sequence's own positions, so batching does not change any sequence's tokens.
 * </ol>
 *
 * A backend failure in a batched step is retried sequence by sequence, so only the request that fails gets
 * the error and the others go on. The queue is bounded: {@link #submit} throws {@link EngineBusyException}
 * when it is full.
 *
 * <p>This class is the entry point; the work is split: {@code RequestValidator} checks requests (and is the
 * one place the context limit is checked), {@code Scheduler} runs the loop, {@code BatchStep} makes one
 * model call, {@code PrefixCache} keeps prompt blocks for reuse, {@code BatchInputs} packs its inputs, {@code BackendOutputChecks} checks its outputs and
 * {@code ExpertCounter} reads the routed experts.
 */
public final class GenerationEngine implements AutoCloseable {
  private final Backend backend;
  private final ModelInfo info;
  private final TokenDecoder decoder;
  private final RequestValidator validator;
  private final Scheduler scheduler;

  /**
   * Starts the scheduler thread over {@code backend} (which it does not close).
   *
   * @param decoder token ids to text, for the streamed deltas and stop strings
   * @param observer metrics hooks, called from the scheduler thread
   */
  public GenerationEngine(Backend backend, TokenDecoder decoder, EngineConfig config, EngineObserver observer) {
    this.backend = backend;
    this.info = backend.info();
    this.decoder = decoder;
    this.validator = new RequestValidator(info);
    this.scheduler = new Scheduler(backend, config, observer);
    this.scheduler.start();
  }

  /** The model served. */
  public ModelInfo info() {
    return info;
  }

  /** The backend's name. */
  public String backendName() {
    return backend.name();
  }

  /** Requests waiting for a slot. */
  public int queueDepth() {
    return scheduler.queueDepth();
  }

  /** Sequences holding a slot. */
  public int activeCount() {
    return scheduler.activeCount();
  }

  /**
   * Queues a request.
   *
   * @throws ContextLengthExceededException if the prompt plus max_tokens exceeds the model context
   * @throws InvalidInputException if the prompt or image does not fit the model
   * @throws EngineBusyException if the queue is full
   */
  public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
    validator.check(request);
    Sequence sequence = new Sequence(scheduler, request, listener, decoder, scheduler.cachesPrefixes());
    scheduler.enqueue(sequence);
    return sequence;
  }

  /** Runs a request to completion; the future fails with the backend's error. */
  public CompletableFuture<GenerationResult> generate(GenerationRequest request) {
    return generate(request, token -> { });
  }

  /**
   * Runs a request to completion, handing each token to {@code onToken} on the scheduler thread as it is made (keep it
   * short); the future fails with the backend's error.
   */
  public CompletableFuture<GenerationResult> generate(GenerationRequest request,
      java.util.function.Consumer<GeneratedToken> onToken) {
    CompletableFuture<GenerationResult> future = new CompletableFuture<>();
    submit(request, new GenerationListener() {
      @Override
      public void onToken(GeneratedToken token) {
        onToken.accept(token);
      }

      @Override
      public void onFinish(GenerationResult result) {
        future.complete(result);
      }

      @Override
      public void onError(RuntimeException error) {
        future.completeExceptionally(error);
      }
    });
    return future;
  }

  /** Stops the scheduler; requests still queued or running end with an error. */
  @Override
  public void close() {
    scheduler.close();
  }
}
