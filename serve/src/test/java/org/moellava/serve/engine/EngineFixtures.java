package org.moellava.serve.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.Tensors;
import org.moellava.serve.fake.FakeBackend;
import org.moellava.serve.fake.FakeTokenizer;

/** Helpers shared by the engine tests. */
final class EngineFixtures {
  static final FakeTokenizer TOKENIZER = new FakeTokenizer();

  private EngineFixtures() {}

  static int[] prompt(String text) {
    return TOKENIZER.encode(text);
  }

  static GenerationRequest request(String id, String text, SamplingParams sampling) {
    return new GenerationRequest(id, prompt(text), null, sampling);
  }

  static SamplingParams sampled(long seed, int maxTokens) {
    return new SamplingParams(0.9, 0.9, 20, seed, maxTokens, List.of());
  }

  /**
   * Greedy tokens by full recomputation without any KV cache: every step runs the whole sequence through
   * the fake decoder as a fresh prompt. Independent of the engine's cache, padding and batching.
   */
  static List<Integer> referenceGreedy(FakeBackend model, int[] prompt, int maxTokens) {
    List<Integer> tokens = new ArrayList<>();
    for (int i = 0; i < prompt.length; i++) {
      tokens.add(prompt[i]);
    }
    List<Integer> generated = new ArrayList<>();
    while (generated.size() < maxTokens) {
      int t = tokens.size();
      long[] ids = tokens.stream().mapToLong(Integer::longValue).toArray();
      long[] mask = new long[t];
      long[] positions = new long[t];
      for (int i = 0; i < t; i++) {
        mask[i] = 1;
        positions[i] = i;
      }
      DecoderInput in = new DecoderInput(1, t, 0, model.embed(Tensors.longsOf(ids), 1, t, null),
          Tensors.longsOf(mask), Tensors.longsOf(positions),
          Collections.nCopies(FakeBackend.LAYERS, Tensors.floats(0)),
          Collections.nCopies(FakeBackend.LAYERS, Tensors.floats(0)));
      DecoderOutput out = model.decode(in);
      int offset = out.lastLogitsOffset(0, t, FakeBackend.VOCAB);
      int best = -1;
      float bestValue = 0;
      for (int v = 0; v < FakeBackend.VOCAB; v++) {
        float value = out.logits().get(offset + v);
        if (v != FakeBackend.IMAGE && (best < 0 || value > bestValue)) {
          best = v;
          bestValue = value;
        }
      }
      generated.add(best);
      tokens.add(best);
      if (best == FakeBackend.EOS) {
        break;
      }
    }
    return generated;
  }

  static List<Integer> list(int[] values) {
    List<Integer> list = new ArrayList<>();
    for (int v : values) {
      list.add(v);
    }
    return list;
  }
}
