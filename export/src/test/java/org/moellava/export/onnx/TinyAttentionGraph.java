package org.moellava.export.onnx;

import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.op.math.Mean;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A one-head-group causal self-attention block in the decoder's style, built in a TF graph: RMSNorm,
 * q/k/v projections, rotate-half RoPE from sin/cos of positions, causal plus padding mask, softmax,
 * output projection, residual. Batch and sequence are dynamic.
 */
final class TinyAttentionGraph {
  static final int D = 8;
  static final int HEADS = 2;
  static final int HEAD_DIM = D / HEADS;

  private TinyAttentionGraph() {}

  /** Builds the block into {@code g}: inputs {@code x [B,S,D]}, {@code attention_mask [B,S]}; output {@code out}. */
  static void build(Graph g, Random rnd) {
    Ops tf = Ops.create(g);
    Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, D)));
    Operand<TInt32> mask = tf.withName("attention_mask").placeholder(TInt32.class,
        Placeholder.shape(Shape.of(-1, -1)));
    // RMSNorm: x * rsqrt(mean(x^2) + eps) * w   // [B, S, D]
    var ms = tf.math.mean(tf.math.square(x), tf.constant(new int[] {-1}), Mean.keepDims(true));
    var h = tf.math.mul(tf.math.mul(x, tf.math.rsqrt(tf.math.add(ms, tf.constant(1e-6f)))), weight(tf, rnd, D));
    var shape = tf.shape(h);
    var b = scalarAt(tf, shape, 0);
    var s = scalarAt(tf, shape, 1);
    Operand<TInt32> headShape = tf.stack(List.of(b, s, tf.constant(HEADS), tf.constant(HEAD_DIM)));
    var q = heads(tf, project(tf, h, rnd), headShape); // [B, H, S, hd]
    var k = heads(tf, project(tf, h, rnd), headShape);
    var v = heads(tf, project(tf, h, rnd), headShape);
    // RoPE, rotate-half: angles [S, hd/2] = pos * inv_freq
    float[] invFreq = new float[HEAD_DIM / 2];
    for (int i = 0; i < invFreq.length; i++) invFreq[i] = (float) Math.pow(10000, -2.0 * i / HEAD_DIM);
    var pos = tf.dtypes.cast(tf.range(tf.constant(0), s, tf.constant(1)), TFloat32.class); // [S]
    var angles = tf.math.mul(tf.expandDims(pos, tf.constant(1)), tf.constant(invFreq)); // [S, hd/2]
    var full = tf.concat(List.of(angles, angles), tf.constant(-1)); // [S, hd]
    var cos = tf.math.cos(full);
    var sin = tf.math.sin(full);
    q = rope(tf, q, cos, sin);
    k = rope(tf, k, cos, sin);
    var scores = tf.math.mul(tf.train.batchMatMul(q, k, TFloat32.class, BatchMatMul.adjY(true)),
        tf.constant((float) (1 / Math.sqrt(HEAD_DIM)))); // [B, H, S, S]
    // causal: key j <= query i; padding: key j is real
    var idx = tf.range(tf.constant(0), s, tf.constant(1));
    Operand<TBool> causal = tf.math.lessEqual(tf.expandDims(idx, tf.constant(0)), tf.expandDims(idx, tf.constant(1)));
    var keyReal = tf.math.equal(tf.reshape(mask, tf.stack(List.of(b, tf.constant(1), tf.constant(1), s))),
        tf.constant(1));
    var allowed = tf.math.logicalAnd(causal, keyReal); // [B, 1, S, S]
    var masked = tf.select(allowed, scores, tf.fill(tf.shape(scores), tf.constant(-1e9f)));
    var attn = tf.train.batchMatMul(tf.nn.softmax(masked), v, TFloat32.class); // [B, H, S, hd]
    var merged = tf.reshape(tf.linalg.transpose(attn, tf.constant(new int[] {0, 2, 1, 3})),
        tf.stack(List.of(b, s, tf.constant(D))));
    var projected = tf.linalg.matMul(tf.reshape(merged, tf.constant(new int[] {-1, D})), weight(tf, rnd, D, D));
    tf.withName("out").math.add(x, tf.reshape(projected, tf.shape(x))); // residual, [B, S, D]
  }

  private static Operand<TInt32> scalarAt(Ops tf, Operand<TInt32> shape, int i) {
    return tf.stridedSlice(shape, tf.constant(new int[] {i}), tf.constant(new int[] {i + 1}),
        tf.constant(new int[] {1}), StridedSlice.shrinkAxisMask(1L));
  }

  private static Operand<TFloat32> weight(Ops tf, Random rnd, long... shape) {
    int n = 1;
    for (long d : shape) n *= (int) d;
    float[] w = Arrays2.randomFloats(rnd, n);
    for (int i = 0; i < n; i++) w[i] *= 0.3f;
    return tf.constant(Shape.of(shape), DataBuffers.of(w));
  }

  private static Operand<TFloat32> project(Ops tf, Operand<TFloat32> h, Random rnd) {
    // [B, S, D] x [D, D] + bias, via einsum-free reshape to [B*S, D]
    var flat = tf.reshape(h, tf.constant(new int[] {-1, D}));
    var y = tf.nn.biasAdd(tf.linalg.matMul(flat, weight(tf, rnd, D, D)), weight(tf, rnd, D));
    return tf.reshape(y, tf.shape(h));
  }

  private static Operand<TFloat32> heads(Ops tf, Operand<TFloat32> t, Operand<TInt32> headShape) {
    return tf.linalg.transpose(tf.reshape(t, headShape), tf.constant(new int[] {0, 2, 1, 3}));
  }

  private static Operand<TFloat32> rope(Ops tf, Operand<TFloat32> t, Operand<TFloat32> cos, Operand<TFloat32> sin) {
    var halves = tf.split(tf.constant(-1), t, 2L);
    var rotated = tf.concat(List.of(tf.math.neg(halves.output().get(1)), halves.output().get(0)), tf.constant(-1));
    return tf.math.add(tf.math.mul(t, cos), tf.math.mul(rotated, sin));
  }
}
