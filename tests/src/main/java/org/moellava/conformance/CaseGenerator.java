package org.moellava.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.moellava.data.Split;
import org.moellava.data.synth.SynthWorld;
import org.moellava.data.synth.SynthWorldConfig;
import org.moellava.image.ImagePreprocessor;
import org.moellava.runtime.ModelInfo;

/**
 * The fixed, seeded conformance cases: synthetic-world and random-noise images, text-only prompts from length 1
 * up to the context limit, batch sizes 1, 3 and 8 with left padding, then step-by-step decoding.
 */
public final class CaseGenerator {
  private final ModelInfo info;
  private final ImagePreprocessor preprocessor;
  private final long seed;

  public CaseGenerator(ModelInfo info, ImagePreprocessor preprocessor, long seed) {
    this.info = info;
    this.preprocessor = preprocessor;
    this.seed = seed;
  }

  /** The standard cases; {@code decodeSteps} tokens are decoded after each prefill. */
  public List<ConformanceCase> standard(int decodeSteps) {
    List<ConformanceCase> cases = new ArrayList<>();
    int p = info.numImageTokens();
    int longest = info.maxContext() - decodeSteps;
    cases.add(textOnly("text-b1-s1", 1, new int[] {1}, decodeSteps));
    cases.add(textOnly("text-b3-s17", 3, new int[] {17, 5, 11}, decodeSteps));
    cases.add(textOnly("text-b1-context", 1, new int[] {longest}, decodeSteps));
    if (p > 0 && p + 1 <= longest) {
      cases.add(withImages("synth-b1", 1, new int[] {Math.min(longest, p + 9)}, false, decodeSteps));
      cases.add(withImages("noise-b3", 3, new int[] {Math.min(longest, p + 12), p + 1, Math.min(longest, p + 6)},
          true, decodeSteps));
      int[] lengths = new int[8];
      for (int b = 0; b < 8; b++) lengths[b] = Math.min(longest, p + 1 + 3 * b);
      cases.add(withImages("synth-b8", 8, lengths, false, decodeSteps));
    } else {
      cases.add(textOnly("text-b8", 8, new int[] {3, 9, 1, 14, 6, 2, 20, 7}, decodeSteps));
    }
    return cases;
  }

  /** Left-padded text-only prompts of the given real lengths. */
  public ConformanceCase textOnly(String id, int batch, int[] lengths, int decodeSteps) {
    SplittableRandom rng = new SplittableRandom(seed ^ id.hashCode());
    return build(id, batch, lengths, 0, null, decodeSteps, rng);
  }

  /** Prompts that start with one image (P image tokens) followed by text, left-padded. */
  public ConformanceCase withImages(String id, int batch, int[] lengths, boolean noise, int decodeSteps) {
    SplittableRandom rng = new SplittableRandom(seed ^ id.hashCode());
    int size = info.imageSize();
    float[] pixels = new float[batch * 3 * size * size];
    if (noise) {
      for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (rng.nextGaussian() * 1.5);
    } else {
      SynthWorld world = new SynthWorld(SynthWorldConfig.defaults(seed).withImageSize(size).withSplits(0, 0, batch));
      for (int b = 0; b < batch; b++) {
        preprocessor.preprocessInto(world.render(world.sample(Split.TEST, b).scene()), pixels, b * 3 * size * size);
      }
    }
    return build(id, batch, lengths, info.numImageTokens(), pixels, decodeSteps, rng);
  }

  private ConformanceCase build(String id, int batch, int[] lengths, int imageTokens, float[] pixels, int steps,
      SplittableRandom rng) {
    int seq = 0;
    for (int l : lengths) seq = Math.max(seq, l);
    long[] ids = new long[batch * seq];
    long[] mask = new long[batch * seq];
    for (int b = 0; b < batch; b++) {
      int pad = seq - lengths[b];
      for (int s = 0; s < seq; s++) {
        int i = b * seq + s;
        if (s < pad) {
          ids[i] = info.padTokenId();
        } else {
          mask[i] = 1;
          ids[i] = s - pad < imageTokens ? info.imageTokenId() : textToken(rng);
        }
      }
    }
    return new ConformanceCase(id, batch, seq, ids, mask, pixels, steps);
  }

  private long textToken(SplittableRandom rng) {
    int t;
    do {
      t = rng.nextInt(info.vocabSize());
    } while (t == info.imageTokenId());
    return t;
  }
}
