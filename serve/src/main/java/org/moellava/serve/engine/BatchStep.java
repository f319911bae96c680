package org.moellava.serve.engine;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;

/**
 * Runs one batched model call and samples one token per row: a prefill (prompts through the vision tower, the
 * embedding and the decoder, past 0) or a decode step (each row's last token over its cached past). Packing
 * is {@link BatchInputs}'s job, checking the backend's outputs {@link BackendOutputChecks}'s, reading routed
 * experts {@link ExpertCounter}'s; what to do with each row's token is the {@link Rows} sink's.
 *
 * <p>Both calls throw only before any sequence state changes, so a failed batch can be retried row by row.
 * Once the backend has answered, a row that fails (KV cache append, sampling) goes to {@link Rows#fail} and the
 * other rows go on. Scheduler thread only.
 */
final class BatchStep {
  /** Where each row of a finished call goes. */
  interface Rows {
    /**
     * Row {@code s} sampled {@code token}; {@code experts [moeLayer][k]} produced it; {@code logprobs} when the
     * request asked for them, else null.
     */
    void emit(Sequence s, int token, int[][] experts, TokenLogprobs logprobs);

    /** Row {@code s} failed after the call. */
    void fail(Sequence s, RuntimeException error);
  }

  private final Backend backend;
  private final ModelInfo info;
  private final EngineObserver observer;
  private final Rows rows;
  private final BatchInputs inputs;
  private final BackendOutputChecks checks;
  private final ExpertCounter experts;
  private final Sampler sampler = new Sampler();
  private final int[] banned;

  BatchStep(Backend backend, EngineObserver observer, Rows rows) {
    this.backend = backend;
    this.info = backend.info();
    this.observer = observer;
    this.rows = rows;
    this.inputs = new BatchInputs(info);
    this.checks = new BackendOutputChecks(info, backend.name());
    this.experts = new ExpertCounter(info, observer);
    this.banned = new int[] {info.imageTokenId()};
  }

  /**
   * Prefills {@code group}: each row's prompt positions not yet in its KV cache, {@code [B, S]}; samples each first
   * token. Either no row has cached positions (prompts left-padded to the longest, past 0) or the rows have rests
   * of one length after prefix-cache hits (over their cached pasts; in practice one row). The vision tower runs
   * for the rows whose rest holds the image's tokens.
   */
  void prefill(List<Sequence> group) {
    int n = group.size();
    List<int[]> rests = new ArrayList<>(n);
    List<float[]> pixels = new ArrayList<>(n);
    List<KvCache> caches = new ArrayList<>(n);
    int[] restLengths = new int[n];
    int computed = 0;
    boolean anyCached = false;
    for (int b = 0; b < n; b++) {
      Sequence s = group.get(b);
      int[] prompt = s.request.promptIds();
      int cached = s.cache.length();
      int[] rest = cached == 0 ? prompt : java.util.Arrays.copyOfRange(prompt, cached, prompt.length);
      rests.add(rest);
      pixels.add(holdsImage(rest) ? s.request.pixelValues() : null);
      caches.add(s.cache);
      restLengths[b] = rest.length;
      computed += rest.length;
      anyCached |= cached > 0;
    }
    PackedBatch batch = anyCached ? inputs.continuation(rests, caches) : inputs.prompts(rests); // [B, S]
    int seq = batch.seq();
    FloatBuffer features = imageFeatures(pixels); // [B, P, D] or null
    FloatBuffer embeds = backend.embed(batch.ids(), n, seq, features); // [B, S, D]
    checks.embeds(embeds, n, seq);
    DecoderOutput out = backend.decode(batch.decoderInput(embeds));
    checks.decoderOutput(out, n, seq, batch.past());
    observer.decoderCall(n, true);
    observer.promptTokens(computed);
    experts.reportLoad(out, seq, restLengths);
    sampleRows(group, out, seq, batch.past() + seq, restLengths);
  }

  /**
   * One chunk of a chunked prefill: the prompt positions {@code [cached, end)} of {@code s} ({@code [1, S]} over
   * its own past), whose keys and values go into its slot; nothing is sampled ({@code end} is before the prompt's
   * last position, which {@link #prefill} computes). The chunk holds the image's tokens all or none.
   */
  void prefillChunk(Sequence s, int end) {
    int[] prompt = s.request.promptIds();
    int start = s.cache.length();
    if (end <= start || end >= prompt.length) {
      throw new IllegalArgumentException("a prefill chunk is a part of the prompt before its last position; got ["
          + start + ", " + end + ") of " + prompt.length);
    }
    int[] chunk = java.util.Arrays.copyOfRange(prompt, start, end);
    PackedBatch batch = start == 0 ? inputs.prompts(List.of(chunk))
        : inputs.continuation(List.of(chunk), List.of(s.cache)); // [1, S]
    int seq = batch.seq();
    List<float[]> pixels = new ArrayList<>(1);
    pixels.add(holdsImage(chunk) ? s.request.pixelValues() : null);
    FloatBuffer features = imageFeatures(pixels); // [1, P, D] or null
    FloatBuffer embeds = backend.embed(batch.ids(), 1, seq, features); // [1, S, D]
    checks.embeds(embeds, 1, seq);
    DecoderOutput out = backend.decode(batch.decoderInput(embeds));
    checks.decoderOutput(out, 1, seq, batch.past());
    observer.decoderCall(1, true);
    observer.promptTokens(chunk.length);
    experts.reportLoad(out, seq, new int[] {chunk.length});
    s.cache.appendNew(out.presentKeys(), out.presentValues(), 0, batch.past() + seq, chunk.length);
  }

  private boolean holdsImage(int[] tokens) {
    return ImageSpan.find(tokens, 0, info.imageTokenId()) != null;
  }


  /** One decode step of {@code batch}: {@code [B, 1]} last tokens over pasts left-padded to the longest. */
  void decode(List<Sequence> batch) {
    int n = batch.size();
    int[] lastTokens = new int[n];
    List<KvCache> caches = new ArrayList<>(n);
    int[] oneEach = new int[n];
    for (int b = 0; b < n; b++) {
      lastTokens[b] = batch.get(b).lastToken();
      caches.add(batch.get(b).cache);
      oneEach[b] = 1;
    }
    PackedBatch packed = inputs.step(lastTokens, caches); // [B, 1] over [B, Hkv, past, hd]
    FloatBuffer embeds = backend.embed(packed.ids(), n, 1, null); // [B, 1, D]
    checks.embeds(embeds, n, 1);
    DecoderOutput out = backend.decode(packed.decoderInput(embeds));
    checks.decoderOutput(out, n, 1, packed.past());
    observer.decoderCall(n, false);
    experts.reportLoad(out, 1, oneEach);
    sampleRows(batch, out, 1, packed.past() + 1, oneEach);
  }

  /**
   * The image features of the rows, {@code [B, P, D]}, or null when no row has an image: the vision tower runs
   * once over the rows that have one.
   */
  private FloatBuffer imageFeatures(List<float[]> pixels) {
    int images = BatchInputs.imageCount(pixels);
    if (images == 0) {
      return null;
    }
    FloatBuffer computed = backend.imageFeatures(inputs.pixels(pixels), images); // [I, P, D]
    checks.imageFeatures(computed, images);
    return inputs.features(pixels, computed);
  }

  /**
   * Per row b: caches the last {@code newPositions[b]} of the {@code presentLength} positions of the present
   * tensors {@code [B, Hkv, presentLength, hd]}, samples from the logits of the row's last position and hands
   * the token to {@link #rows}.
   */
  private void sampleRows(List<Sequence> batch, DecoderOutput out, int seq, int presentLength, int[] newPositions) {
    for (int b = 0; b < batch.size(); b++) {
      Sequence s = batch.get(b);
      try {
        s.cache.appendNew(out.presentKeys(), out.presentValues(), b, presentLength, newPositions[b]);
        int[][] routed = experts.routed(out, b * seq + seq - 1);
        int offset = out.lastLogitsOffset(b, seq, info.vocabSize());
        SamplingParams sampling = s.request.sampling();
        int token = s.constraint == null
            ? sampler.sample(out.logits(), offset, info.vocabSize(), sampling, s.random, banned, s.generated, s.count)
            : sampler.sample(out.logits(), offset, info.vocabSize(), sampling, s.random, banned, s.generated, s.count,
                s.constraint);
        TokenLogprobs logprobs = sampling.wantsLogprobs()
            ? Sampler.logprobs(out.logits(), offset, info.vocabSize(), token, sampling.logprobs()) : null;
        rows.emit(s, token, routed, logprobs);
      } catch (RuntimeException e) {
        rows.fail(s, e);
      }
    }
  }
}
