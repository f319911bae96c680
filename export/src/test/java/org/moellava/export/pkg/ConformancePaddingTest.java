package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.config.TextConfig;
import org.moellava.export.validate.ConformanceCheck;
import org.moellava.export.validate.ConformanceReport;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.conformance.Tolerance;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.tensor.TensorValue;

/**
 * The export's validation compares only real positions: a candidate equal to TensorFlow everywhere but at left
 * padding (as an fp16 package is: a fully masked softmax there is rounded its own way) passes, and the same change
 * at one real position fails.
 */
class ConformancePaddingTest {
  @TempDir Path dir;

  @Test
  void outputsAtLeftPaddingAreNotCompared() {
    ConformanceReport r = check((mask, row, position) -> mask == 0);
    assertTrue(r.passed(), () -> "failed: " + r.firstFailure());
  }

  @Test
  void theSameChangeAtOneRealPositionFails() {
    // row 1 is the shorter prompt: its first real position follows 3 padding positions
    ConformanceReport r = check((mask, row, position) -> mask == 1 && row == 1 && position == 3);
    assertFalse(r.passed());
    assertTrue(r.checks().stream().anyMatch(c -> !c.passed() && c.name().startsWith("prefill/present.")),
        "a present key or value at the changed position fails");
  }

  private ConformanceReport check(Changed where) {
    ModelConfig config = PkgTestConfigs.micro();
    Map<String, TensorValue> weights = TestCheckpoints.write(dir.resolve("ck"), config, 11);
    try (TfBackend reference = new TfBackend(config, weights, "ref");
         Backend candidate = new Perturbed(new TfBackend(config, weights, "candidate"), config, where)) {
      return new ConformanceCheck(config, Tolerance.FP32).run(reference, candidate, "fp32", "standard");
    }
  }

  /** Which decoder positions the candidate changes, given the attention mask there. */
  @FunctionalInterface
  private interface Changed {
    boolean at(long mask, int row, int position);
  }

  /**
   * TensorFlow's outputs with, at the chosen positions, 5 added to the logits, the present keys and values, and the
   * router logit of the expert the reference ranks last (so its top-k changes by far more than a near tie).
   */
  private static final class Perturbed implements Backend {
    private final Backend inner;
    private final Changed where;
    private final int kvHeads;
    private final int headDim;
    private final int experts;

    Perturbed(Backend inner, ModelConfig config, Changed where) {
      TextConfig t = config.textConfig();
      this.inner = inner;
      this.where = where;
      this.kvHeads = t.numKeyValueHeads();
      this.headDim = t.hiddenSize() / t.numAttentionHeads();
      this.experts = t.numExperts();
    }

    @Override public ModelInfo info() { return inner.info(); }
    @Override public String name() { return "perturbed"; }
    @Override public FloatBuffer imageFeatures(FloatBuffer pixels, int batch) {
      return inner.imageFeatures(pixels, batch);
    }
    @Override public FloatBuffer embed(LongBuffer ids, int batch, int seq, FloatBuffer features) {
      return inner.embed(ids, batch, seq, features);
    }
    @Override public void close() { inner.close(); }

    @Override
    public DecoderOutput decode(DecoderInput in) {
      DecoderOutput out = inner.decode(in);
      int batch = in.batch();
      int total = in.pastLength() + in.seq();
      long[] mask = new long[batch * total];
      in.attentionMask().get(0, mask);
      // logits [B, positions, V] for the last `positions` positions
      int positions = out.lastPositionOnly() ? 1 : in.seq();
      FloatBuffer logits = copy(out.logits());
      int vocab = logits.limit() / (batch * positions);
      for (int b = 0; b < batch; b++) {
        for (int j = 0; j < positions; j++) {
          int position = total - positions + j;
          if (!where.at(mask[b * total + position], b, position)) continue;
          for (int v = 0; v < vocab; v++) add(logits, (b * positions + j) * vocab + v);
        }
      }
      List<FloatBuffer> keys = new ArrayList<>();
      List<FloatBuffer> values = new ArrayList<>();
      for (int layer = 0; layer < out.presentKeys().size(); layer++) {
        keys.add(present(out.presentKeys().get(layer), mask, batch, total));
        values.add(present(out.presentValues().get(layer), mask, batch, total));
      }
      List<FloatBuffer> routers = new ArrayList<>();
      for (FloatBuffer r : out.routerLogits()) {
        FloatBuffer x = copy(r); // [B * S, E] for the call's positions
        for (int b = 0; b < batch; b++) {
          for (int s = 0; s < in.seq(); s++) {
            int position = in.pastLength() + s;
            if (!where.at(mask[b * total + position], b, position)) continue;
            int base = (b * in.seq() + s) * experts;
            int last = base;
            for (int e = base; e < base + experts; e++) if (x.get(e) < x.get(last)) last = e;
            x.put(last, x.get(last) + 50);
          }
        }
        routers.add(x);
      }
      return new DecoderOutput(logits, out.lastPositionOnly(), keys, values, routers);
    }

    /** A present {@code [B, H_kv, T, hd]} with the chosen positions changed. */
    private FloatBuffer present(FloatBuffer p, long[] mask, int batch, int total) {
      FloatBuffer x = copy(p);
      for (int i = 0; i < x.limit(); i++) {
        int position = (i / headDim) % total;
        int b = i / headDim / total / kvHeads;
        if (where.at(mask[b * total + position], b, position)) add(x, i);
      }
      return x;
    }

    private static void add(FloatBuffer x, int i) {
      x.put(i, x.get(i) + 5);
    }

    private static FloatBuffer copy(FloatBuffer src) {
      FloatBuffer dst = org.moellava.runtime.Tensors.floats(src.limit());
      dst.put(0, src, 0, src.limit());
      return dst;
    }
  }
}
