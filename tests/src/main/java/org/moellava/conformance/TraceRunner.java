package org.moellava.conformance;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;

/**
 * Runs a {@link ConformanceCase} on a {@link Backend}: vision, embed, a prefill over the left-padded prompts,
 * then one decode step per token with the KV cache. Decoding is teacher-forced when {@code forcedTokens} is
 * given (the reference's greedy tokens), so every step of every backend sees the same prefix and its logits and
 * routing stay comparable; the backend's own greedy choice at each step is recorded as well.
 */
public final class TraceRunner {
  private TraceRunner() {}

  /** Runs {@code c} on {@code backend}; {@code forcedTokens} ({@code [B][steps]}) may be null. */
  public static BackendTrace run(Backend backend, ConformanceCase c, int[][] forcedTokens) {
    ModelInfo info = backend.info();
    int b = c.batch();
    int s = c.seq();
    int layers = info.numLayers();
    int moe = info.moeLayers().size();

    float[] features = null;
    if (c.hasImage()) {
      features = copy(backend.imageFeatures(Tensors.floatsOf(c.pixelValues()), b)); // [B, P, D]
    }
    FloatBuffer embeds = backend.embed(Tensors.longsOf(c.inputIds()), b, s, features == null ? null
        : Tensors.floatsOf(features)); // [B, S, D]
    long[] positions = new long[b * s]; // HF: cumsum(mask) - 1, padding at 1
    long[] next = new long[b];
    for (int r = 0; r < b; r++) {
      long seen = 0;
      for (int t = 0; t < s; t++) {
        seen += c.attentionMask()[r * s + t];
        positions[r * s + t] = c.attentionMask()[r * s + t] == 0 ? 1 : seen - 1;
      }
      next[r] = seen;
    }
    List<FloatBuffer> empty = new ArrayList<>();
    for (int i = 0; i < layers; i++) empty.add(Tensors.floats(0));
    DecoderOutput out = backend.decode(new DecoderInput(b, s, 0, embeds, Tensors.longsOf(c.attentionMask()),
        Tensors.longsOf(positions), empty, empty));

    List<float[]> stepLogits = new ArrayList<>();
    List<List<float[]>> stepRouters = new ArrayList<>();
    float[] prefillLogits = out.lastPositionOnly() ? null : copy(out.logits()); // [B, S, V]
    List<float[]> prefillKeys = copyAll(out.presentKeys());
    stepLogits.add(lastLogits(out, b, s, info.vocabSize()));
    stepRouters.add(copyAll(out.routerLogits()));
    List<float[]> keys = prefillKeys;
    List<float[]> values = copyAll(out.presentValues());

    int steps = c.decodeSteps();
    int[][] tokens = new int[b][steps];
    long[] mask = c.attentionMask().clone();
    int past = s;
    for (int step = 0; step < steps; step++) {
      float[] last = stepLogits.get(step);
      long[] ids = new long[b];
      for (int r = 0; r < b; r++) {
        tokens[r][step] = argmax(last, r * info.vocabSize(), info.vocabSize());
        ids[r] = forcedTokens != null ? forcedTokens[r][step] : tokens[r][step];
      }
      if (step == steps - 1) break; // the last choice needs no further decode call
      long[] grown = new long[b * (past + 1)];
      long[] pos = new long[b];
      for (int r = 0; r < b; r++) {
        System.arraycopy(mask, r * past, grown, r * (past + 1), past);
        grown[r * (past + 1) + past] = 1;
        pos[r] = next[r]++;
      }
      mask = grown;
      List<FloatBuffer> pk = new ArrayList<>();
      List<FloatBuffer> pv = new ArrayList<>();
      for (int i = 0; i < layers; i++) {
        pk.add(Tensors.floatsOf(keys.get(i)));
        pv.add(Tensors.floatsOf(values.get(i)));
      }
      FloatBuffer stepEmbeds = backend.embed(Tensors.longsOf(ids), b, 1, null); // [B, 1, D]
      out = backend.decode(new DecoderInput(b, 1, past, stepEmbeds, Tensors.longsOf(mask), Tensors.longsOf(pos),
          pk, pv));
      stepLogits.add(lastLogits(out, b, 1, info.vocabSize()));
      stepRouters.add(copyAll(out.routerLogits()));
      keys = copyAll(out.presentKeys());
      values = copyAll(out.presentValues());
      past++;
    }
    if (moe != info.moeLayers().size()) throw new IllegalStateException("MoE layer count changed");
    return new BackendTrace(features, stepLogits, prefillLogits, prefillKeys, stepRouters, tokens);
  }

  static int argmax(float[] values, int offset, int count) {
    int best = 0;
    for (int i = 1; i < count; i++) {
      if (values[offset + i] > values[offset + best]) best = i;
    }
    return best;
  }

  private static float[] lastLogits(DecoderOutput out, int batch, int seq, int vocab) {
    float[] last = new float[batch * vocab];
    for (int r = 0; r < batch; r++) {
      int offset = out.lastLogitsOffset(r, seq, vocab);
      for (int v = 0; v < vocab; v++) last[r * vocab + v] = out.logits().get(offset + v);
    }
    return last;
  }

  private static List<float[]> copyAll(List<FloatBuffer> buffers) {
    List<float[]> out = new ArrayList<>(buffers.size());
    for (FloatBuffer f : buffers) out.add(copy(f));
    return out;
  }

  private static float[] copy(FloatBuffer f) {
    float[] a = new float[f.limit()];
    f.get(0, a);
    return a;
  }

}
