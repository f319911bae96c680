package org.moellava.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import org.junit.jupiter.api.Test;
import org.moellava.config.ModelConfig;
import org.moellava.config.Presets;
import org.moellava.graph.variables.WeightInitializer;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.tf.TfBackend;

/**
 * The batch-invariance check can fail, and deterministic mode holds where batching does not: a backend whose logits
 * shift with the batch size (as a GEMM kernel chosen by batch size can) differs alone vs together when batched, and
 * is bit-identical in deterministic mode, whose every call holds one sequence.
 */
class BatchInvarianceTest {
  private static final ModelConfig CONFIG = Presets.get(Presets.TINY);

  /** TensorFlow with every logit raised by 0.01 × (batch − 1): alone is exact, batched is not. */
  private static final class BatchDependent implements Backend {
    private final Backend inner;

    BatchDependent(Backend inner) {
      this.inner = inner;
    }

    @Override
    public ModelInfo info() {
      return inner.info();
    }

    @Override
    public String name() {
      return "batch-dependent";
    }

    @Override
    public FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch) {
      return inner.imageFeatures(pixelValues, batch);
    }

    @Override
    public FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures) {
      return inner.embed(inputIds, batch, seq, imageFeatures);
    }

    @Override
    public DecoderOutput decode(DecoderInput in) {
      DecoderOutput out = inner.decode(in);
      FloatBuffer logits = out.logits();
      int vocab = inner.info().vocabSize();
      for (int i = 0; i < logits.limit(); i++) {
        logits.put(i, logits.get(i) + 0.01f * (in.batch() - 1) * (i % vocab % 7)); // reorders near-equal logits
      }
      return out;
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  @Test
  void batchingThatChangesNumbersIsCaughtAndDeterministicModeIsIdentical() {
    try (TfBackend tf = new TfBackend(CONFIG, WeightInitializer.randomWeights(CONFIG, 4), "tiny-test")) {
      Backend shifted = new BatchDependent(tf);
      BatchInvariance.Result batched = BatchInvariance.check("shifted", shifted, false);
      BatchInvariance.Result deterministic = BatchInvariance.check("shifted", shifted, true);
      assertTrue(batched.largestBatch() > 1, "the requests ran batched: " + batched);
      assertFalse(batched.identical(), "a batch-dependent backend must be caught: " + batched);
      assertFalse(batched.failed(), "batched mode is reported, not failed");
      assertEquals(1, deterministic.largestBatch(), "deterministic: one sequence per call");
      assertTrue(deterministic.identical(), deterministic.toString());
      assertEquals(BatchInvariance.REQUESTS, deterministic.requests());
      System.out.println("batched: " + batched + "\ndeterministic: " + deterministic);
    }
  }
}
