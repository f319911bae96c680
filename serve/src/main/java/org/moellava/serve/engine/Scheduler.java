package org.moellava.serve.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.moellava.runtime.Backend;
import org.moellava.runtime.ModelInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous-batching loop of {@link GenerationEngine}: one thread owns the backend (through a
 * {@link BatchStep}) and every running sequence, and repeats
 *
 * <ol>
 *   <li>admit queued requests while a slot is free and prefill them together, in groups of at most
 *       {@link #PREFILL_TOKEN_BUDGET} padded tokens; a request whose prompt starts with blocks the
 *       {@link PrefixCache} holds gets them copied into its slot and is prefilled alone over them (its rest is
 *       computed over its own past, which a padded group could not hold without holes in its mask); each
 *       request's blocks are offered to the cache after its prefill and again, with its answer, when it ends;
 *   <li>drop cancelled sequences, freeing their slots;
 *   <li>with chunked prefill ({@link EngineConfig#prefillChunkTokens()}), compute one chunk of the oldest long
 *       prompt (admitted prompts with more positions left than a chunk wait their turn here, holding their slots),
 *       sized by {@link ChunkSizer} so that it takes about a quarter of a decode step while others decode;
 *   <li>run one decode step for all running sequences past their prefill together (each alone when
 *       {@linkplain EngineConfig#deterministic() deterministic}, and then every prompt is prefilled alone too).
 * </ol>
 *
 * A failed batched call is retried sequence by sequence ({@link #runOrIsolate}), so only the request that
 * fails gets the error. It hands each sampled token to its {@link Sequence} and ends sequences (finish,
 * cancel, error), freeing their slots.
 */
final class Scheduler implements BatchStep.Rows {
  private static final Logger LOG = LoggerFactory.getLogger(GenerationEngine.class); // the engine's log, as before
  private static final long IDLE_POLL_MILLIS = 50;
  /**
   * Most padded prompt tokens (batch x longest prompt) in one prefill call: prompts admitted together are
   * prefilled together up to this, so a burst of arrivals costs one decoder call instead of one each.
   */
  static final int PREFILL_TOKEN_BUDGET = 4096;

  private final ModelInfo info;
  private final EngineConfig config;
  private final EngineObserver observer;
  private final BatchStep step;
  private final BlockingQueue<Sequence> queue;
  private final List<Sequence> active = new ArrayList<>(); // scheduler thread only
  private final ArrayDeque<KvCache> freeSlots = new ArrayDeque<>(); // scheduler thread only
  private final PrefixCache prefixes; // scheduler thread only; null when off
  /** Sequences (holding slots, in {@link #active}) whose prompts are prefilled a chunk per loop; oldest first. */
  private final ArrayDeque<Sequence> prefilling = new ArrayDeque<>(); // scheduler thread only
  private final ChunkSizer chunkSizer = new ChunkSizer(); // scheduler thread only
  private final Thread thread;
  private volatile boolean running = true;
  private volatile int activeCount;

  Scheduler(Backend backend, EngineConfig config, EngineObserver observer) {
    this.info = backend.info();
    this.config = config;
    this.observer = observer;
    this.step = new BatchStep(backend, observer, this);
    this.queue = new ArrayBlockingQueue<>(config.maxQueue());
    this.prefixes = config.prefixCacheBytes() > 0 ? new PrefixCache(info, config.prefixCacheBytes()) : null;
    this.thread = new Thread(this::loop, "moellava-scheduler");
    this.thread.setDaemon(true);
  }

  /** Starts the scheduler thread. */
  void start() {
    thread.start();
  }

  /**
   * Queues {@code sequence}.
   *
   * @throws IllegalStateException after {@link #close()}
   * @throws EngineBusyException if the queue is full
   */
  void enqueue(Sequence sequence) {
    if (!running) {
      throw new IllegalStateException("the generation engine is shut down");
    }
    if (!queue.offer(sequence)) {
      throw new EngineBusyException(
          "the request queue is full (" + config.maxQueue() + " waiting); retry later");
    }
  }

  /** Ends {@code sequence} as cancelled if it is still queued; a running one is dropped by the loop. */
  void cancelQueued(Sequence sequence) {
    if (queue.remove(sequence)) {
      sequence.sendFinish(FinishReason.CANCELLED);
    }
  }

  /** Whether prompts reuse the keys and values of earlier prompts' blocks. */
  boolean cachesPrefixes() {
    return prefixes != null;
  }

  int queueDepth() {
    return queue.size();
  }

  int activeCount() {
    return activeCount;
  }

  /** Stops the loop; sequences still queued or running end with an error. */
  void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    try {
      while (running) {
        try {
          admit();
          dropCancelled();
          if (!prefilling.isEmpty()) {
            prefillOneChunk();
          }
          List<Sequence> decoding = decoding();
          if (!decoding.isEmpty()) {
            long start = System.nanoTime();
            if (config.deterministic()) { // batch invariance: each sequence's step alone
              for (Sequence s : decoding) {
                runOrIsolate(List.of(s), step::decode);
              }
            } else {
              runOrIsolate(decoding, step::decode);
            }
            chunkSizer.decodeStep(System.nanoTime() - start);
          }
        } catch (InterruptedException e) {
          throw e;
        } catch (RuntimeException e) {
          LOG.error("scheduler step failed; failing its {} sequences", active.size(), e);
          for (Sequence s : new ArrayList<>(active)) {
            fail(s, e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      IllegalStateException stopped = new IllegalStateException("the generation engine was shut down");
      for (Sequence s : new ArrayList<>(active)) {
        fail(s, stopped);
      }
      Sequence queued;
      while ((queued = queue.poll()) != null) {
        queued.sendError(stopped);
      }
    }
  }

  /** Takes queued requests while slots are free (waiting briefly when idle) and starts them. */
  private void admit() throws InterruptedException {
    List<Sequence> admitted = new ArrayList<>();
    if (active.isEmpty()) {
      Sequence first = queue.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
      if (first == null) {
        return;
      }
      admitted.add(first);
    }
    while (active.size() + admitted.size() < config.maxBatch()) {
      Sequence next = queue.poll();
      if (next == null) {
        break;
      }
      admitted.add(next);
    }
    start(admitted);
  }

  /** Gives each admitted sequence a slot and prefills them in groups within the token budget. */
  private void start(List<Sequence> admitted) {
    List<Sequence> started = new ArrayList<>();
    for (Sequence s : admitted) {
      if (s.isCancelled()) {
        s.sendFinish(FinishReason.CANCELLED);
        continue;
      }
      KvCache slot = freeSlots.isEmpty() ? new KvCache(info) : freeSlots.poll();
      slot.reset();
      s.cache = slot;
      reuseCachedPrefix(s);
      active.add(s);
      started.add(s);
    }
    activeCount = active.size();
    List<Sequence> group = new ArrayList<>();
    int longest = 0;
    for (Sequence s : started) {
      int rest = s.request.promptIds().length - s.cache.length();
      if (config.prefillChunkTokens() > 0 && rest > config.prefillChunkTokens()) {
        prefilling.add(s); // a chunk per loop, between decode steps of the others
        continue;
      }
      if (s.cachedPromptTokens > 0 || config.deterministic()) { // alone: over its own past, or batch invariance
        runOrIsolate(List.of(s), step::prefill);
        continue;
      }
      int length = s.request.promptIds().length;
      if (!group.isEmpty() && (long) (group.size() + 1) * Math.max(longest, length) > PREFILL_TOKEN_BUDGET) {
        runOrIsolate(group, step::prefill);
        group = new ArrayList<>();
        longest = 0;
      }
      group.add(s);
      longest = Math.max(longest, length);
    }
    if (!group.isEmpty()) {
      runOrIsolate(group, step::prefill);
    }
    for (Sequence s : started) {
      keepPrefix(s); // at once, so that requests arriving while this one decodes find its prompt
    }
  }

  /** The running sequences past their prefill: those that decode this step. */
  private List<Sequence> decoding() {
    List<Sequence> decoding = new ArrayList<>(active.size());
    for (Sequence s : active) {
      if (s.count > 0) {
        decoding.add(s);
      }
    }
    return decoding;
  }

  /**
   * Computes the next chunk of the oldest chunked prefill; its last chunk (holding the prompt's last position)
   * samples the first token and offers the prompt's blocks to the prefix cache.
   */
  private void prefillOneChunk() {
    Sequence s = prefilling.peek();
    int[] prompt = s.request.promptIds();
    int start = s.cache.length();
    int chunk = chunkSizer.chunkTokens(config.prefillChunkTokens(), active.size() > prefilling.size());
    int end = chunkEnd(prompt, start, chunk, info.imageTokenId());
    long began = System.nanoTime();
    if (end >= prompt.length) {
      prefilling.poll();
      runOrIsolate(List.of(s), step::prefill);
      keepPrefix(s);
    } else {
      runOrIsolate(List.of(s), one -> step.prefillChunk(one.get(0), end));
    }
    chunkSizer.prefillChunk(end - start, System.nanoTime() - began);
  }

  /**
   * Where the chunk of {@code prompt} starting at {@code start} ends: {@code chunk} positions on, but never inside
   * the image's tokens (the chunk stops before them, or takes them all when they start it), and at the prompt's
   * end when that is within reach.
   */
  static int chunkEnd(int[] prompt, int start, int chunk, int imageTokenId) {
    int end = start + chunk;
    if (end >= prompt.length) {
      return prompt.length;
    }
    ImageSpan image = ImageSpan.find(prompt, start, imageTokenId);
    if (image != null && image.splitBy(end)) {
      end = image.first() > start ? image.first() : image.last() + 1;
    }
    return Math.min(end, prompt.length);
  }

  /** Fills the new sequence's slot with the longest run of its prompt's blocks the prefix cache holds. */
  private void reuseCachedPrefix(Sequence s) {
    if (prefixes == null) {
      return;
    }
    int[] prompt = s.request.promptIds();
    int reusable = PrefixCache.reusableLength(prompt, info.imageTokenId());
    List<PrefixCache.Block> hit = prefixes.lookup(prefixes.names(prompt, reusable, s.imageDigest));
    s.cache.append(hit);
    s.cachedPromptTokens = hit.size() * PrefixCache.BLOCK_TOKENS;
    observer.prefixCacheLookup(prompt.length, s.cachedPromptTokens);
  }

  /** Offers the full blocks of what the sequence's slot holds (prompt, then generated tokens) to the prefix cache. */
  private void keepPrefix(Sequence s) {
    if (prefixes == null || !active.contains(s) || s.cache.length() < s.request.promptIds().length) {
      return; // off, or the sequence failed or ended before its prompt was cached
    }
    prefixes.store(prefixes.names(s.tokens(), s.cache.length(), s.imageDigest), s.cache);
  }

  /**
   * Runs {@code call} on {@code batch}; if it throws (it changes no sequence before throwing), runs it on each
   * sequence alone and fails only those that still throw.
   */
  private void runOrIsolate(List<Sequence> batch, Consumer<List<Sequence>> call) {
    try {
      call.accept(batch);
    } catch (RuntimeException batchError) {
      if (batch.size() == 1) {
        failLogged(batch.get(0), batchError);
        return;
      }
      for (Sequence s : batch) {
        try {
          call.accept(List.of(s));
        } catch (RuntimeException e) {
          failLogged(s, e);
        }
      }
    }
  }

  private void dropCancelled() {
    for (Sequence s : new ArrayList<>(active)) {
      if (s.isCancelled()) {
        release(s);
        s.sendFinish(FinishReason.CANCELLED);
      }
    }
  }

  /** Streams the token to the request's listener; ends the sequence when the token finishes it. */
  @Override
  public void emit(Sequence s, int token, int[][] experts, TokenLogprobs logprobs) {
    s.append(token, experts, logprobs);
    observer.tokenGenerated();
    if (s.count == 1) {
      s.timeToFirstTokenNanos = System.nanoTime() - s.submittedNanos;
      observer.firstToken(s.timeToFirstTokenNanos);
    }
    String delta = s.settle(info.eosTokenId());
    s.sendToken(new GeneratedToken(s.count - 1, token, delta, experts, logprobs));
    if (s.finishReason() != null) {
      keepPrefix(s); // the answer too: the next turn of the chat starts with it
      release(s);
      s.sendFinish(s.finishReason());
    }
  }

  @Override
  public void fail(Sequence s, RuntimeException error) {
    release(s);
    s.sendError(error);
  }

  private void failLogged(Sequence s, RuntimeException e) {
    LOG.warn("backend failed for request {}: {}", s.request.requestId(), e.toString());
    fail(s, e);
  }

  private void release(Sequence s) {
    prefilling.remove(s);
    if (active.remove(s)) {
      freeSlots.push(s.cache);
      activeCount = active.size();
    }
  }
}
