package org.moellava.serve.fake;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;
import org.moellava.runtime.Tensors;

/**
 * TEST DOUBLE of the {@link Backend} contract: a tiny deterministic pure-Java "model" with real attention
 * over its KV cache, so that a wrong cache, mask, padding or position in the engine changes its output.
 *
 * <ul>
 *   <li>embedding of token t: {@link #embedding(int)}; image tokens take the image features in order;
 *   <li>per layer l, head h: key_i = x[h*hd+i] * cos(0.3*pos + l + i), value_i = tanh(x[(h*hd+i+l) % D]);
 *   <li>hidden = x + sum over layers of softmax(q.k / 2)-weighted values over the real (mask 1), causal
 *       positions; q = x;
 *   <li>logits[v] = hidden . W[v] with W[v][d] = sin(1.3 (v+1)(d+1)); eos gets -5, or +100 from
 *       {@code eosAtPosition} on; pad and image get -10;
 *   <li>router logits of MoE layer j: {@link #routerLogit(int, int, double[])} of the input embedding.
 * </ul>
 *
 * It checks the contract (left padding, position ids that match the mask) and throws on a violation.
 * Knobs: delay per decode, a gate that blocks decoding, failure injection.
 */
public final class FakeBackend implements Backend {
  public static final int VOCAB = 99;
  public static final int D = 8;
  public static final int LAYERS = 2;
  public static final int HEADS = 2;
  public static final int HEAD_DIM = 4;
  public static final int EXPERTS = 4;
  public static final int K = 2;
  public static final int P = 4;
  public static final int IMAGE_SIZE = 8;
  public static final int PAD = 0;
  public static final int EOS = 1;
  public static final int IMAGE = 2;

  private final ModelInfo info;
  private final boolean lastPositionOnly;
  private volatile int eosAtPosition = -1;
  private volatile long decodeDelayMillis;
  private volatile Semaphore gate;
  private volatile int failEmbedOnToken = -1;
  private volatile int failDecodeAtPosition = -1;
  private final AtomicInteger waitingAtGate = new AtomicInteger();
  private final List<Integer> decodeBatchSizes = new CopyOnWriteArrayList<>();
  private final List<Integer> prefillBatchSizes = new CopyOnWriteArrayList<>();

  public FakeBackend(int maxContext, boolean lastPositionOnly) {
    this.info = new ModelInfo(VOCAB, D, LAYERS, HEADS, HEAD_DIM, maxContext, P, IMAGE, EOS, PAD, List.of(0, 1),
        EXPERTS, K, IMAGE_SIZE, "fake-moe");
    this.lastPositionOnly = lastPositionOnly;
  }

  public FakeBackend() {
    this(256, false);
  }

  /** From this position on, eos dominates the logits. */
  public FakeBackend eosAtPosition(int position) {
    this.eosAtPosition = position;
    return this;
  }

  public FakeBackend decodeDelayMillis(long millis) {
    this.decodeDelayMillis = millis;
    return this;
  }

  /** Every decode call waits for a permit of {@code newGate} (null: no gate). */
  public FakeBackend gate(Semaphore newGate) {
    this.gate = newGate;
    return this;
  }

  public FakeBackend failEmbedOnToken(int token) {
    this.failEmbedOnToken = token;
    return this;
  }

  /** Decode steps (S = 1) fail when a row is at this position. */
  public FakeBackend failDecodeAtPosition(int position) {
    this.failDecodeAtPosition = position;
    return this;
  }

  public int waitingAtGate() {
    return waitingAtGate.get();
  }

  /** Batch size of every decode step (S = 1) so far. */
  public List<Integer> decodeBatchSizes() {
    return decodeBatchSizes;
  }

  /** Batch size of every prompt call (past 0) so far. */
  public List<Integer> prefillBatchSizes() {
    return prefillBatchSizes;
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch) {
    int plane = 3 * IMAGE_SIZE * IMAGE_SIZE;
    if (pixelValues.limit() != batch * plane) {
      throw new IllegalStateException("fake: pixel_values has " + pixelValues.limit() + " elements");
    }
    FloatBuffer out = Tensors.floats((long) batch * P * D); // [B, P, D]
    for (int b = 0; b < batch; b++) {
      for (int p = 0; p < P; p++) {
        for (int d = 0; d < D; d++) {
          double sum = 0;
          for (int i = p; i < plane; i += P) {
            sum += pixelValues.get(b * plane + i) * Math.cos(0.01 * i * (d + 1));
          }
          out.put((b * P + p) * D + d, (float) (sum / plane));
        }
      }
    }
    return out;
  }

  @Override
  public FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures) {
    FloatBuffer out = Tensors.floats((long) batch * seq * D); // [B, S, D]
    for (int b = 0; b < batch; b++) {
      int image = 0;
      for (int s = 0; s < seq; s++) {
        int token = (int) inputIds.get(b * seq + s);
        if (token == failEmbedOnToken) {
          throw new IllegalStateException("fake: injected failure on token " + token);
        }
        double[] x;
        if (token == IMAGE) {
          if (imageFeatures == null) {
            throw new IllegalStateException("fake: image token without image features");
          }
          x = new double[D];
          for (int d = 0; d < D; d++) {
            x[d] = imageFeatures.get((b * P + image) * D + d);
          }
          image++;
        } else {
          x = embedding(token);
        }
        for (int d = 0; d < D; d++) {
          out.put((b * seq + s) * D + d, (float) x[d]);
        }
      }
    }
    return out;
  }

  /** The embedding of a text token. */
  public static double[] embedding(int token) {
    double[] x = new double[D];
    for (int d = 0; d < D; d++) {
      x[d] = Math.sin(0.7 * (token + 1) * (d + 1)) + 0.05 * d;
    }
    return x;
  }

  /** Router logit of expert e at MoE layer j for input embedding x (floats as the engine sees them). */
  public static float routerLogit(int j, int e, double[] x) {
    double sum = 0;
    for (int d = 0; d < D; d++) {
      sum += (float) x[d] * Math.cos(0.9 * (e + 1) * (d + 1) + j);
    }
    return (float) sum;
  }

  @Override
  public DecoderOutput decode(DecoderInput in) {
    awaitGate();
    int batch = in.batch();
    int seq = in.seq();
    int past = in.pastLength();
    int total = past + seq;
    checkContract(in);
    if (past == 0) {
      prefillBatchSizes.add(batch);
    }
    if (seq == 1) {
      decodeBatchSizes.add(batch);
      for (int b = 0; b < batch; b++) {
        if (in.positionIds().get(b) == failDecodeAtPosition) {
          throw new IllegalStateException("fake: injected decode failure at position " + failDecodeAtPosition);
        }
      }
    }
    int width = HEADS * HEAD_DIM;
    List<FloatBuffer> presentKeys = new ArrayList<>();
    List<FloatBuffer> presentValues = new ArrayList<>();
    for (int l = 0; l < LAYERS; l++) {
      FloatBuffer k = Tensors.floats((long) batch * width * total); // [B, Hkv, past+S, hd]
      FloatBuffer v = Tensors.floats((long) batch * width * total);
      for (int b = 0; b < batch; b++) {
        for (int h = 0; h < HEADS; h++) {
          for (int t = 0; t < past; t++) {
            for (int i = 0; i < HEAD_DIM; i++) {
              int src = ((b * HEADS + h) * past + t) * HEAD_DIM + i;
              int dst = ((b * HEADS + h) * total + t) * HEAD_DIM + i;
              k.put(dst, in.pastKeys().get(l).get(src));
              v.put(dst, in.pastValues().get(l).get(src));
            }
          }
          for (int s = 0; s < seq; s++) {
            double[] x = row(in.inputsEmbeds(), b * seq + s);
            long pos = in.positionIds().get(b * seq + s);
            for (int i = 0; i < HEAD_DIM; i++) {
              int dst = ((b * HEADS + h) * total + past + s) * HEAD_DIM + i;
              k.put(dst, (float) (x[h * HEAD_DIM + i] * Math.cos(0.3 * pos + l + i)));
              v.put(dst, (float) Math.tanh(x[(h * HEAD_DIM + i + l) % D]));
            }
          }
        }
      }
      presentKeys.add(k);
      presentValues.add(v);
    }
    int positions = lastPositionOnly ? 1 : seq;
    FloatBuffer logits = Tensors.floats((long) batch * positions * VOCAB);
    List<FloatBuffer> router = new ArrayList<>();
    for (int j = 0; j < info.moeLayers().size(); j++) {
      router.add(Tensors.floats((long) batch * seq * EXPERTS));
    }
    for (int b = 0; b < batch; b++) {
      for (int s = 0; s < seq; s++) {
        double[] x = row(in.inputsEmbeds(), b * seq + s);
        for (int j = 0; j < router.size(); j++) {
          for (int e = 0; e < EXPERTS; e++) {
            router.get(j).put((b * seq + s) * EXPERTS + e, routerLogit(j, e, x));
          }
        }
        if (lastPositionOnly && s != seq - 1) {
          continue;
        }
        double[] hidden = x.clone();
        for (int l = 0; l < LAYERS; l++) {
          attend(in.attentionMask(), presentKeys.get(l), presentValues.get(l), b, past + s, total, x, hidden);
        }
        long pos = in.positionIds().get(b * seq + s);
        int row = b * positions + (lastPositionOnly ? 0 : s);
        for (int vIndex = 0; vIndex < VOCAB; vIndex++) {
          double logit = 0;
          for (int d = 0; d < D; d++) {
            logit += hidden[d] * Math.sin(1.3 * (vIndex + 1) * (d + 1));
          }
          if (vIndex == EOS) {
            logit = eosAtPosition >= 0 && pos >= eosAtPosition ? 100 : -5;
          } else if (vIndex == PAD || vIndex == IMAGE) {
            logit = -10;
          }
          logits.put(row * VOCAB + vIndex, (float) logit);
        }
      }
    }
    return new DecoderOutput(logits, lastPositionOnly, presentKeys, presentValues, router);
  }

  /** hidden += attention of query x at column {@code column} over the real causal columns of row b. */
  private static void attend(LongBuffer mask, FloatBuffer keys, FloatBuffer values, int b, int column, int total,
      double[] x, double[] hidden) {
    for (int h = 0; h < HEADS; h++) {
      double max = Double.NEGATIVE_INFINITY;
      double[] scores = new double[column + 1];
      for (int t = 0; t <= column; t++) {
        if (mask.get(b * total + t) == 0) {
          continue;
        }
        double score = 0;
        for (int i = 0; i < HEAD_DIM; i++) {
          score += x[h * HEAD_DIM + i] * keys.get(((b * HEADS + h) * total + t) * HEAD_DIM + i);
        }
        scores[t] = score / 2;
        max = Math.max(max, scores[t]);
      }
      double norm = 0;
      double[] out = new double[HEAD_DIM];
      for (int t = 0; t <= column; t++) {
        if (mask.get(b * total + t) == 0) {
          continue;
        }
        double w = Math.exp(scores[t] - max);
        norm += w;
        for (int i = 0; i < HEAD_DIM; i++) {
          out[i] += w * values.get(((b * HEADS + h) * total + t) * HEAD_DIM + i);
        }
      }
      for (int i = 0; i < HEAD_DIM; i++) {
        hidden[h * HEAD_DIM + i] += out[i] / norm;
      }
    }
  }

  private void checkContract(DecoderInput in) {
    int total = in.pastLength() + in.seq();
    if (in.inputsEmbeds().limit() != in.batch() * in.seq() * D) {
      throw new IllegalStateException("fake: inputs_embeds has " + in.inputsEmbeds().limit() + " elements");
    }
    if (in.pastKeys().size() != LAYERS) {
      throw new IllegalStateException("fake: " + in.pastKeys().size() + " past layers");
    }
    for (int l = 0; l < LAYERS; l++) {
      if (in.pastKeys().get(l).limit() != in.batch() * HEADS * in.pastLength() * HEAD_DIM) {
        throw new IllegalStateException("fake: past key " + l + " has " + in.pastKeys().get(l).limit());
      }
    }
    for (int b = 0; b < in.batch(); b++) {
      int ones = 0;
      boolean seenOne = false;
      for (int t = 0; t < total; t++) {
        long m = in.attentionMask().get(b * total + t);
        if (m == 1) {
          ones++;
          seenOne = true;
        } else if (m != 0 || seenOne) {
          throw new IllegalStateException("fake: attention mask row " + b + " is not left-padded");
        }
      }
      int realNew = 0; // new positions with mask 1: the last ones of the row (left padding)
      for (int s = 0; s < in.seq(); s++) {
        if (in.attentionMask().get(b * total + in.pastLength() + s) == 1) realNew++;
      }
      if (realNew == 0) {
        throw new IllegalStateException("fake: row " + b + " has no real new position");
      }
      long firstPosition = in.positionIds().get(b * in.seq() + in.seq() - realNew);
      if (firstPosition != ones - realNew) {
        throw new IllegalStateException("fake: row " + b + " starts at position " + firstPosition + " but its mask"
            + " holds " + ones + " real positions");
      }
    }
  }

  private void awaitGate() {
    Semaphore g = gate;
    if (g != null) {
      waitingAtGate.incrementAndGet();
      try {
        g.acquire();
        g.release();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("fake: interrupted at the gate");
      } finally {
        waitingAtGate.decrementAndGet();
      }
    }
    long delay = decodeDelayMillis;
    if (delay > 0) {
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static double[] row(FloatBuffer buffer, int row) {
    double[] x = new double[D];
    for (int d = 0; d < D; d++) {
      x[d] = buffer.get(row * D + d);
    }
    return x;
  }

  @Override
  public void close() {}
}
