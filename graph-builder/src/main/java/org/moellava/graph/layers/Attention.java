package org.moellava.graph.layers;

import org.moellava.graph.variables.ModelVariables;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Multi-head and grouped-query scaled dot-product attention. */
public final class Attention {
  private Attention() {}

  /** Keys and values of one layer, {@code [B, Hkv, T, hd]} each. */
  public record KeyValue(Operand<TFloat32> key, Operand<TFloat32> value) {}

  /** The attention output {@code [B, S, D]} and the layer's keys/values including the new tokens. */
  public record Result(Operand<TFloat32> output, KeyValue present) {}

  /**
   * Core attention for {@code q [B, Hq, S, hd]}, {@code k, v [B, Hkv, T, hd]} with {@code Hq = g * Hkv}: query
   * head {@code h} uses key/value head {@code h / g}. {@code mask} is additive {@code [B, 1, S, T]} or null.
   * Returns {@code [B, S, Hq*hd]}.
   */
  public static Operand<TFloat32> scaledDotProduct(Ops tf, Operand<TFloat32> q, Operand<TFloat32> k,
      Operand<TFloat32> v, Operand<TFloat32> mask, int numHeads, int numKvHeads, int headDim) {
    int groups = numHeads / numKvHeads;
    Operand<TInt32> b = TensorOps.dim(tf, q, 0);
    Operand<TInt32> s = TensorOps.dim(tf, q, 2);
    Operand<TInt32> t = TensorOps.dim(tf, k, 2);
    Operand<TInt32> gs = tf.math.mul(s, tf.constant(groups));
    Operand<TFloat32> qGrouped = TensorOps.reshape(tf, q, b, numKvHeads, gs, headDim); // [B,Hkv,g*S,hd]
    Operand<TFloat32> scores = tf.train.batchMatMul(qGrouped, k, TFloat32.class, BatchMatMul.adjY(true)); // [B,Hkv,g*S,T]
    scores = tf.math.mul(scores, tf.constant((float) (1.0 / Math.sqrt(headDim))));
    scores = TensorOps.reshape(tf, scores, b, numHeads, s, t); // [B,Hq,S,T]
    if (mask != null) scores = tf.math.add(scores, mask);
    Operand<TFloat32> probs = tf.nn.softmax(scores); // [B,Hq,S,T]
    probs = TensorOps.reshape(tf, probs, b, numKvHeads, gs, t); // [B,Hkv,g*S,T]
    Operand<TFloat32> context = tf.train.batchMatMul(probs, v, TFloat32.class); // [B,Hkv,g*S,hd]
    context = TensorOps.reshape(tf, context, b, numHeads, s, headDim); // [B,Hq,S,hd]
    context = TensorOps.transpose(tf, context, 0, 2, 1, 3); // [B,S,Hq,hd]
    return TensorOps.reshape(tf, context, b, s, numHeads * headDim); // [B,S,Hq*hd]
  }

  /** {@code x [B, S, H*hd]} to heads {@code [B, H, S, hd]}. */
  public static Operand<TFloat32> splitHeads(Ops tf, Operand<TFloat32> x, int heads, int headDim) {
    Operand<TFloat32> r = TensorOps.reshape(tf, x, TensorOps.dim(tf, x, 0), TensorOps.dim(tf, x, 1), heads, headDim);
    return TensorOps.transpose(tf, r, 0, 2, 1, 3);
  }

  /**
   * Decoder self-attention (Qwen2): q/k/v with biases, o without, RoPE on q and k, grouped-query heads, additive
   * {@code mask [B,1,S,T]}, and an optional cache {@code past} ({@code [B,Hkv,past,hd]}) that the new keys/values
   * are appended to.
   *
   * @param x {@code [B, S, D]} (already normalised)
   * @param prefix the layer's {@code .../self_attn} variable prefix
   */
  public static Result decoder(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x, Rope rope,
      Operand<TFloat32> mask, KeyValue past, int numHeads, int numKvHeads, int headDim) {
    return decoder(tf, vars, prefix, x, rope, mask, past, numHeads, numKvHeads, headDim, true, false);
  }

  /**
   * Decoder self-attention with the biases of the decoder family: q/k/v ({@code qkvBias}) and o ({@code oBias});
   * otherwise as {@link #decoder(Ops, ModelVariables, String, Operand, Rope, Operand, KeyValue, int, int, int)}.
   * The cache holds the keys after RoPE (all {@code hd} dims, rotated or not).
   */
  public static Result decoder(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x, Rope rope,
      Operand<TFloat32> mask, KeyValue past, int numHeads, int numKvHeads, int headDim, boolean qkvBias,
      boolean oBias) {
    Operand<TFloat32> q = splitHeads(tf, Linear.apply(tf, vars, prefix + "/q_proj", x, qkvBias), numHeads, headDim);
    Operand<TFloat32> k = splitHeads(tf, Linear.apply(tf, vars, prefix + "/k_proj", x, qkvBias), numKvHeads, headDim);
    Operand<TFloat32> v = splitHeads(tf, Linear.apply(tf, vars, prefix + "/v_proj", x, qkvBias), numKvHeads, headDim);
    q = rope.apply(tf, q); // [B,Hq,S,hd]
    k = rope.apply(tf, k); // [B,Hkv,S,hd]
    if (past != null) {
      k = tf.concat(java.util.List.of(past.key(), k), tf.constant(2)); // [B,Hkv,past+S,hd]
      v = tf.concat(java.util.List.of(past.value(), v), tf.constant(2));
    }
    Operand<TFloat32> context = scaledDotProduct(tf, q, k, v, mask, numHeads, numKvHeads, headDim); // [B,S,Hq*hd]
    Operand<TFloat32> out = Linear.apply(tf, vars, prefix + "/o_proj", context, oBias); // [B,S,D]
    return new Result(out, new KeyValue(k, v));
  }

  /**
   * CLIP self-attention: bidirectional, no mask, biases on q/k/v/out_proj.
   *
   * @param x {@code [B, N, Dv]} (already normalised)
   */
  public static Operand<TFloat32> clip(Ops tf, ModelVariables vars, String prefix, Operand<TFloat32> x,
      int numHeads, int headDim) {
    Operand<TFloat32> q = splitHeads(tf, Linear.apply(tf, vars, prefix + "/q_proj", x, true), numHeads, headDim);
    Operand<TFloat32> k = splitHeads(tf, Linear.apply(tf, vars, prefix + "/k_proj", x, true), numHeads, headDim);
    Operand<TFloat32> v = splitHeads(tf, Linear.apply(tf, vars, prefix + "/v_proj", x, true), numHeads, headDim);
    Operand<TFloat32> context = scaledDotProduct(tf, q, k, v, null, numHeads, numHeads, headDim);
    return Linear.apply(tf, vars, prefix + "/out_proj", context, true);
  }
}
