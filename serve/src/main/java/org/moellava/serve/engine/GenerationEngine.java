package org.moellava.serve.engine;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;
import org.moellava.tensor.TopK;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous-batching generation over one {@link Backend}. One scheduler thread owns the backend and loops:
 *
 * <ol>
 *   <li>admit queued requests while a slot is free and prefill them together: their prompts, left-padded to
 *       the longest (at most {@link #PREFILL_TOKEN_BUDGET} padded tokens per call), go through the vision tower,
 *       the embedding and the decoder as one batch with past 0, and each samples its first token;
 *   <li>drop cancelled sequences, freeing their slots;
 *   <li>run one decode step for all running sequences together: each feeds its last token; their pasts,
 *       of different lengths, are left-padded to the longest and masked with 0 in {@code attention_mask};
 *       position ids are each sequence's own positions, so batching does not change any sequence's tokens.
 * </ol>
 *
 * A backend failure in a batched step is retried sequence by sequence, so only the request that fails gets
 * the error and the others go on. The queue is bounded: {@link #submit} throws {@link EngineBusyException}
 * when it is full.
 */
public final class GenerationEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GenerationEngine.class);
  private static final long IDLE_POLL_MILLIS = 50;
  /**
   * Most padded prompt tokens (batch x longest prompt) in one prefill call: prompts admitted together are
   * prefilled together up to this, so a burst of arrivals costs one decoder call instead of one each.
   */
  static final int PREFILL_TOKEN_BUDGET = 4096;

  private final Backend backend;
  private final ModelInfo info;
  private final TokenDecoder decoder;
  private final EngineConfig config;
  private final EngineObserver observer;
  private final BlockingQueue<Sequence> queue;
  private final List<Sequence> active = new ArrayList<>(); // scheduler thread only
  private final ArrayDeque<KvCache> freeSlots = new ArrayDeque<>();
  private final Sampler sampler = new Sampler();
  private final int[] banned;
  private final Thread scheduler;
  private volatile boolean running = true;
  private volatile int activeCount;

  // Reused input buffers, grown when a batch needs more (scheduler thread only).
  private final FloatBuffer[] pastKeyStore;
  private final FloatBuffer[] pastValueStore;
  private LongBuffer idStore = Tensors.longs(0);
  private LongBuffer maskStore = Tensors.longs(0);
  private LongBuffer positionStore = Tensors.longs(0);
  private FloatBuffer pixelStore = Tensors.floats(0);
  private FloatBuffer featureStore = Tensors.floats(0);
  private final List<FloatBuffer> emptyPast;

  public GenerationEngine(Backend backend, TokenDecoder decoder, EngineConfig config, EngineObserver observer) {
    this.backend = backend;
    this.info = backend.info();
    this.decoder = decoder;
    this.config = config;
    this.observer = observer;
    this.queue = new ArrayBlockingQueue<>(config.maxQueue());
    this.banned = new int[] {info.imageTokenId()};
    this.pastKeyStore = new FloatBuffer[info.numLayers()];
    this.pastValueStore = new FloatBuffer[info.numLayers()];
    for (int layer = 0; layer < info.numLayers(); layer++) {
      pastKeyStore[layer] = Tensors.floats(0);
      pastValueStore[layer] = Tensors.floats(0);
    }
    this.emptyPast = Collections.nCopies(info.numLayers(), Tensors.floats(0));
    this.scheduler = new Thread(this::loop, "moellava-scheduler");
    this.scheduler.setDaemon(true);
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
    return queue.size();
  }

  /** Sequences holding a slot. */
  public int activeCount() {
    return activeCount;
  }

  /**
   * Queues a request.
   *
   * @throws InvalidInputException if the prompt, image or limits do not fit the model
   * @throws EngineBusyException if the queue is full
   */
  public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
    validate(request);
    if (!running) {
      throw new IllegalStateException("the generation engine is shut down");
    }
    Sequence sequence = new Sequence(this, request, listener, decoder);
    if (!queue.offer(sequence)) {
      throw new EngineBusyException(
          "the request queue is full (" + config.maxQueue() + " waiting); retry later");
    }
    return sequence;
  }

  /** Runs a request to completion; the future fails with the backend's error. */
  public CompletableFuture<GenerationResult> generate(GenerationRequest request) {
    CompletableFuture<GenerationResult> future = new CompletableFuture<>();
    submit(request, new GenerationListener() {
      @Override
      public void onToken(GeneratedToken token) {}

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
    running = false;
    scheduler.interrupt();
    try {
      scheduler.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void cancelQueued(Sequence sequence) {
    if (queue.remove(sequence)) {
      notifyFinish(sequence, FinishReason.CANCELLED);
    }
  }

  private void validate(GenerationRequest request) {
    int[] prompt = request.promptIds();
    int maxTokens = request.sampling().maxTokens();
    if ((long) prompt.length + maxTokens > info.maxContext()) {
      throw new InvalidInputException("prompt of " + prompt.length + " tokens plus max_tokens " + maxTokens
          + " exceeds the model context of " + info.maxContext() + " tokens");
    }
    int imageTokens = 0;
    for (int id : prompt) {
      if (id < 0 || id >= info.vocabSize()) {
        throw new InvalidInputException("prompt token id " + id + " is outside the vocabulary [0, "
            + info.vocabSize() + ")");
      }
      if (id == info.imageTokenId()) {
        imageTokens++;
      }
    }
    float[] pixels = request.pixelValues();
    int expectedImageTokens = pixels == null ? 0 : info.numImageTokens();
    if (imageTokens != expectedImageTokens) {
      throw new InvalidInputException("prompt holds " + imageTokens + " image tokens, expected "
          + expectedImageTokens + (pixels == null ? " without an image" : " for one image"));
    }
    if (pixels != null && pixels.length != 3 * info.imageSize() * info.imageSize()) {
      throw new InvalidInputException("pixel values hold " + pixels.length + " floats, expected [3, "
          + info.imageSize() + ", " + info.imageSize() + "]");
    }
  }

  private void loop() {
    try {
      while (running) {
        try {
          admit();
          dropCancelled();
          if (!active.isEmpty()) {
            decodeStep();
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
        notifyError(queued, stopped);
      }
    }
  }

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
        notifyFinish(s, FinishReason.CANCELLED);
        continue;
      }
      KvCache slot = freeSlots.isEmpty() ? new KvCache(info) : freeSlots.poll();
      slot.reset();
      s.cache = slot;
      active.add(s);
      started.add(s);
    }
    activeCount = active.size();
    List<Sequence> group = new ArrayList<>();
    int longest = 0;
    for (Sequence s : started) {
      int length = s.request.promptIds().length;
      if (!group.isEmpty() && (long) (group.size() + 1) * Math.max(longest, length) > PREFILL_TOKEN_BUDGET) {
        prefillOrIsolate(group);
        group = new ArrayList<>();
        longest = 0;
      }
      group.add(s);
      longest = Math.max(longest, length);
    }
    if (!group.isEmpty()) {
      prefillOrIsolate(group);
    }
  }

  /** Prefills {@code group} together; if that fails, each alone, so only a failing request gets the error. */
  private void prefillOrIsolate(List<Sequence> group) {
    runOrIsolate(group, this::prefill);
  }

  /**
   * Runs {@code step} on {@code batch}; if it throws (it changes no sequence before throwing), runs it on each
   * sequence alone and fails only those that still throw.
   */
  private void runOrIsolate(List<Sequence> batch, Consumer<List<Sequence>> step) {
    try {
      step.accept(batch);
    } catch (RuntimeException batchError) {
      if (batch.size() == 1) {
        failLogged(batch.get(0), batchError);
        return;
      }
      for (Sequence s : batch) {
        try {
          step.accept(List.of(s));
        } catch (RuntimeException e) {
          failLogged(s, e);
        }
      }
    }
  }

  private void failLogged(Sequence s, RuntimeException e) {
    LOG.warn("backend failed for request {}: {}", s.request.requestId(), e.toString());
    fail(s, e);
  }

  /**
   * Prompts of {@code group}: {@code [B, S]} left-padded to the longest, no past; samples each first token.
   * Throws only before any sequence state changes, so a failed group can be retried sequence by sequence.
   */
  private void prefill(List<Sequence> group) {
    int n = group.size();
    int seq = 0;
    int images = 0;
    for (Sequence s : group) {
      seq = Math.max(seq, s.request.promptIds().length);
      if (s.request.pixelValues() != null) images++;
    }
    idStore = grow(idStore, (long) n * seq);
    maskStore = grow(maskStore, (long) n * seq);
    positionStore = grow(positionStore, (long) n * seq);
    int promptTokens = 0;
    for (int b = 0; b < n; b++) {
      int[] prompt = group.get(b).request.promptIds();
      int padding = seq - prompt.length;
      for (int t = 0; t < seq; t++) { // [B, S], left padding
        boolean real = t >= padding;
        idStore.put(b * seq + t, real ? prompt[t - padding] : info.padTokenId());
        maskStore.put(b * seq + t, real ? 1 : 0);
        positionStore.put(b * seq + t, real ? t - padding : 0);
      }
      promptTokens += prompt.length;
    }
    FloatBuffer features = images == 0 ? null : imageFeatures(group, images); // [B, P, D]
    FloatBuffer embeds = backend.embed(Tensors.view(idStore, n * seq), n, seq, features); // [B, S, D]
    requireElements("inputs_embeds", embeds, (long) n * seq * info.hiddenSize());
    DecoderInput in = new DecoderInput(n, seq, 0, embeds, Tensors.view(maskStore, n * seq),
        Tensors.view(positionStore, n * seq), emptyPast, emptyPast);
    DecoderOutput out = backend.decode(in);
    requireOutputs(out, n, seq, 0);
    observer.decoderCall(n, true);
    observer.promptTokens(promptTokens);
    long[][] load = new long[info.moeLayers().size()][info.numExperts()];
    for (int b = 0; b < n; b++) {
      addExpertLoad(load, out, b * seq + seq - group.get(b).request.promptIds().length, (b + 1) * seq);
    }
    reportExpertLoad(load);
    for (int b = 0; b < n; b++) {
      Sequence s = group.get(b);
      try {
        s.cache.appendNew(out.presentKeys(), out.presentValues(), b, seq, s.request.promptIds().length);
        int[][] experts = routedExperts(out, b * seq + seq - 1);
        int token = sampler.sample(out.logits(), out.lastLogitsOffset(b, seq, info.vocabSize()), info.vocabSize(),
            s.request.sampling(), s.random, banned);
        emit(s, token, experts);
      } catch (RuntimeException e) {
        fail(s, e);
      }
    }
  }

  /**
   * The image features of the group's rows, {@code [B, P, D]}: the vision tower runs once over the rows that
   * have an image; rows without one get zeros (their prompts hold no image token, so the embedding ignores them).
   */
  private FloatBuffer imageFeatures(List<Sequence> group, int images) {
    int plane = 3 * info.imageSize() * info.imageSize();
    pixelStore = grow(pixelStore, (long) images * plane);
    int at = 0;
    for (Sequence s : group) {
      float[] pixels = s.request.pixelValues();
      if (pixels != null) {
        pixelStore.put(at * plane, pixels);
        at++;
      }
    }
    long perImage = (long) info.numImageTokens() * info.hiddenSize();
    FloatBuffer computed = backend.imageFeatures(Tensors.view(pixelStore, images * plane), images); // [I, P, D]
    requireElements("image_features", computed, images * perImage);
    if (images == group.size()) {
      return computed;
    }
    featureStore = grow(featureStore, group.size() * perImage);
    int image = 0;
    for (int b = 0; b < group.size(); b++) {
      int row = (int) (b * perImage);
      if (group.get(b).request.pixelValues() != null) {
        featureStore.put(row, computed, (int) (image++ * perImage), (int) perImage);
      } else {
        for (int i = 0; i < perImage; i++) featureStore.put(row + i, 0f);
      }
    }
    return Tensors.view(featureStore, (int) (group.size() * perImage));
  }

  private void decodeStep() {
    runOrIsolate(new ArrayList<>(active), this::decode);
  }

  /**
   * One step for a batch: {@code [B, 1]} new tokens over left-padded pasts. Throws only before any sequence
   * state changes, so a failed batch can be retried sequence by sequence.
   */
  private void decode(List<Sequence> batch) {
    int n = batch.size();
    int past = 0;
    for (Sequence s : batch) {
      past = Math.max(past, s.cache.length());
    }
    int total = past + 1;
    idStore = grow(idStore, n);
    maskStore = grow(maskStore, (long) n * total);
    positionStore = grow(positionStore, n);
    long pastElements = (long) n * info.kvWidth() * past;
    for (int layer = 0; layer < info.numLayers(); layer++) {
      pastKeyStore[layer] = grow(pastKeyStore[layer], pastElements);
      pastValueStore[layer] = grow(pastValueStore[layer], pastElements);
    }
    for (int b = 0; b < n; b++) {
      Sequence s = batch.get(b);
      int length = s.cache.length();
      idStore.put(b, s.lastToken());
      positionStore.put(b, length);
      for (int t = 0; t < total; t++) {
        maskStore.put(b * total + t, t < past - length ? 0 : 1); // [B, past + 1], left padding
      }
      s.cache.copyPastInto(pastKeyStore, pastValueStore, b, past);
    }
    List<FloatBuffer> pastKeys = new ArrayList<>(info.numLayers());
    List<FloatBuffer> pastValues = new ArrayList<>(info.numLayers());
    for (int layer = 0; layer < info.numLayers(); layer++) {
      pastKeys.add(Tensors.view(pastKeyStore[layer], (int) pastElements));
      pastValues.add(Tensors.view(pastValueStore[layer], (int) pastElements));
    }
    FloatBuffer embeds = backend.embed(Tensors.view(idStore, n), n, 1, null); // [B, 1, D]
    requireElements("inputs_embeds", embeds, (long) n * info.hiddenSize());
    DecoderInput in = new DecoderInput(n, 1, past, embeds, Tensors.view(maskStore, n * total),
        Tensors.view(positionStore, n), pastKeys, pastValues);
    DecoderOutput out = backend.decode(in);
    requireOutputs(out, n, 1, past);

    observer.decoderCall(n, false);
    long[][] load = new long[info.moeLayers().size()][info.numExperts()];
    addExpertLoad(load, out, 0, n);
    reportExpertLoad(load);
    for (int b = 0; b < n; b++) {
      Sequence s = batch.get(b);
      try {
        s.cache.appendNew(out.presentKeys(), out.presentValues(), b, total, 1);
        int[][] experts = routedExperts(out, b);
        int token = sampler.sample(out.logits(), out.lastLogitsOffset(b, 1, info.vocabSize()),
            info.vocabSize(), s.request.sampling(), s.random, banned);
        emit(s, token, experts);
      } catch (RuntimeException e) {
        fail(s, e);
      }
    }
  }

  private void emit(Sequence s, int token, int[][] experts) {
    s.append(token, experts);
    observer.tokenGenerated();
    if (s.count == 1) {
      s.timeToFirstTokenNanos = System.nanoTime() - s.submittedNanos;
      observer.firstToken(s.timeToFirstTokenNanos);
    }
    FinishReason finish = null;
    String delta;
    if (token == info.eosTokenId()) {
      finish = FinishReason.STOP;
      delta = s.text.flush();
    } else {
      delta = s.text.accept(s.generated, s.count);
      if (s.text.stopped()) {
        finish = FinishReason.STOP;
      }
    }
    if (finish == null && (s.count >= s.request.sampling().maxTokens() || s.cache.length() >= s.cache.capacity())) {
      finish = FinishReason.LENGTH;
      delta += s.text.flush();
    }
    try {
      s.listener.onToken(new GeneratedToken(s.count - 1, token, delta, experts));
    } catch (RuntimeException e) {
      LOG.warn("listener of request {} failed; cancelling it: {}", s.request.requestId(), e.toString());
      s.cancel();
    }
    if (finish != null) {
      release(s);
      notifyFinish(s, finish);
    }
  }

  private void dropCancelled() {
    for (Sequence s : new ArrayList<>(active)) {
      if (s.isCancelled()) {
        release(s);
        notifyFinish(s, FinishReason.CANCELLED);
      }
    }
  }

  private void fail(Sequence s, RuntimeException error) {
    release(s);
    notifyError(s, error);
  }

  private void release(Sequence s) {
    if (active.remove(s)) {
      freeSlots.push(s.cache);
      activeCount = active.size();
    }
  }

  private void notifyFinish(Sequence s, FinishReason reason) {
    try {
      s.listener.onFinish(s.result(reason));
    } catch (RuntimeException e) {
      LOG.warn("listener of request {} failed on finish: {}", s.request.requestId(), e.toString());
    }
  }

  private void notifyError(Sequence s, RuntimeException error) {
    try {
      s.listener.onError(error);
    } catch (RuntimeException e) {
      LOG.warn("listener of request {} failed on error: {}", s.request.requestId(), e.toString());
    }
  }

  /** {@code [moeLayer][k]} experts of router row {@code row}. */
  private int[][] routedExperts(DecoderOutput out, int row) {
    int moeLayers = info.moeLayers().size();
    int[][] experts = new int[moeLayers][];
    for (int j = 0; j < moeLayers; j++) {
      experts[j] = TopK.of(out.routerLogits().get(j), row * info.numExperts(), info.numExperts(),
          info.expertsPerToken());
    }
    return experts;
  }

  /** Adds the experts chosen for router rows {@code [from, to)} to {@code load [moeLayer][expert]}. */
  private void addExpertLoad(long[][] load, DecoderOutput out, int from, int to) {
    for (int j = 0; j < load.length; j++) {
      for (int row = from; row < to; row++) {
        for (int e : TopK.of(out.routerLogits().get(j), row * info.numExperts(), info.numExperts(),
            info.expertsPerToken())) {
          load[j][e]++;
        }
      }
    }
  }

  private void reportExpertLoad(long[][] load) {
    for (int j = 0; j < load.length; j++) {
      observer.expertLoad(info.moeLayers().get(j), load[j]);
    }
  }

  private void requireOutputs(DecoderOutput out, int batch, int seq, int past) {
    int positions = out.lastPositionOnly() ? 1 : seq;
    requireElements("logits", out.logits(), (long) batch * positions * info.vocabSize());
    if (out.presentKeys().size() != info.numLayers() || out.presentValues().size() != info.numLayers()) {
      throw new IllegalStateException("backend " + backend.name() + " returned " + out.presentKeys().size()
          + " present keys and " + out.presentValues().size() + " values, expected " + info.numLayers());
    }
    long present = (long) batch * info.kvWidth() * (past + seq);
    for (int layer = 0; layer < info.numLayers(); layer++) {
      requireElements("present." + layer + ".key", out.presentKeys().get(layer), present);
      requireElements("present." + layer + ".value", out.presentValues().get(layer), present);
    }
    if (out.routerLogits().size() != info.moeLayers().size()) {
      throw new IllegalStateException("backend " + backend.name() + " returned " + out.routerLogits().size()
          + " router logits, expected one per MoE layer: " + info.moeLayers().size());
    }
    for (int j = 0; j < info.moeLayers().size(); j++) {
      requireElements("router_logits." + j, out.routerLogits().get(j), (long) batch * seq * info.numExperts());
    }
  }

  private void requireElements(String name, java.nio.Buffer buffer, long expected) {
    if (buffer == null || buffer.limit() != expected) {
      throw new IllegalStateException("backend " + backend.name() + " returned " + name + " with "
          + (buffer == null ? "no buffer" : buffer.limit() + " elements") + ", expected " + expected);
    }
  }

  private static FloatBuffer grow(FloatBuffer store, long count) {
    return store.capacity() >= count ? store : Tensors.floats(Math.max(count, 2L * store.capacity()));
  }

  private static LongBuffer grow(LongBuffer store, long count) {
    return store.capacity() >= count ? store : Tensors.longs(Math.max(count, 2L * store.capacity()));
  }
}
