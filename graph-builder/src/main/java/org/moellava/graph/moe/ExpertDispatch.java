package org.moellava.graph.moe;

import org.moellava.graph.layers.TensorOps;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Unstack;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/** Computes {@code out = sum_e combine[:, e] * expert_e(x)} for stacked experts ({@link ExpertWeights}). */
public final class ExpertDispatch {
  private ExpertDispatch() {}

  /**
   * Sparse dispatch: expert e gathers only the tokens assigned to it, runs its SwiGLU on them, weights the result and
   * scatters it back into {@code [N, D]}; the E scattered results are summed in expert order (like Hugging Face's
   * {@code index_add_} loop).
   *
   * <p>Each expert scatters on its own: within one expert a token appears at most once, so no scatter ever sees a
   * duplicate index. One scatter over all experts would hold each token k times, and ONNX Runtime's CPU
   * {@code ScatterND(reduction=add)} is not safe with duplicate indices once it runs on several threads
   * (microsoft/onnxruntime#18048, #23396): exported models gave run-to-run different logits.
   *
   * @param x {@code [N, D]}
   * @param assigned {@code [N, E]} 1 where expert e computes token n
   * @param combine {@code [N, E]} weights
   * @param gate {@code [E, D, I]}, {@code up [E, D, I]}, {@code down [E, I, D]}
   * @return {@code [N, D]}, the output of one {@code AddN} node (the block's combine, which the exporter's fused
   *     rewriter looks for)
   */
  public static Operand<TFloat32> sparse(Ops tf, Operand<TFloat32> x, Operand<TFloat32> assigned,
      Operand<TFloat32> combine, Operand<TFloat32> gate, Operand<TFloat32> up, Operand<TFloat32> down,
      int numExperts) {
    return sparse(tf, x, assigned, combine, ExpertWeights.swiGlu(gate, up, down), numExperts);
  }

  /** {@link #sparse(Ops, Operand, Operand, Operand, Operand, Operand, Operand, int)} for experts of any MLP type. */
  public static Operand<TFloat32> sparse(Ops tf, Operand<TFloat32> x, Operand<TFloat32> assigned,
      Operand<TFloat32> combine, ExpertWeights experts, int numExperts) {
    Unstack.Options byColumn = Unstack.axis(1L);
    List<Output<TFloat32>> assignedColumns = tf.unstack(assigned, (long) numExperts, byColumn).output(); // E x [N]
    List<Output<TFloat32>> weightColumns = tf.unstack(combine, (long) numExperts, byColumn).output(); // E x [N]
    List<ExpertWeights> perExpertWeights = experts.unstack(tf, numExperts); // E x 2-D weights
    Operand<TInt32> numTokens = TensorOps.dim(tf, x, 0);
    List<Operand<TFloat32>> perExpert = new ArrayList<>();
    for (int e = 0; e < numExperts; e++) {
      Operand<TInt64> tokens = tf.reshape(tf.where(tf.math.greater(assignedColumns.get(e), tf.constant(0f))),
          tf.constant(new int[] {-1})); // [n_e], each token at most once
      Operand<TFloat32> xe = tf.gather(x, tokens, tf.constant(0)); // [n_e, D]
      Operand<TFloat32> we = tf.expandDims(tf.gather(weightColumns.get(e), tokens, tf.constant(0)), tf.constant(1));
      Operand<TFloat32> ye = perExpertWeights.get(e).apply(tf, xe); // [n_e, D]
      perExpert.add(tf.math.unsortedSegmentSum(tf.math.mul(ye, we), tokens, numTokens)); // [N, D]
    }
    return tf.math.addN(perExpert); // [N, D]
  }

  /** Dense-masked dispatch: every expert on every token, weighted by {@code combine} (benchmark baseline only). */
  public static Operand<TFloat32> denseMasked(Ops tf, Operand<TFloat32> x, Operand<TFloat32> combine,
      Operand<TFloat32> gate, Operand<TFloat32> up, Operand<TFloat32> down, int numExperts) {
    return denseMasked(tf, x, combine, ExpertWeights.swiGlu(gate, up, down), numExperts);
  }

  /** Dense-masked dispatch for experts of any MLP type (benchmark baseline only). */
  public static Operand<TFloat32> denseMasked(Ops tf, Operand<TFloat32> x, Operand<TFloat32> combine,
      ExpertWeights experts, int numExperts) {
    Operand<TFloat32> xs = tf.tile(tf.expandDims(x, tf.constant(0)), tf.constant(new int[] {numExperts, 1, 1})); // [E,N,D]
    Operand<TFloat32> y = experts.applyAll(tf, xs); // [E,N,D]
    Operand<TFloat32> w = tf.expandDims(TensorOps.transpose(tf, combine, 1, 0), tf.constant(-1)); // [E,N,1]
    return tf.reduceSum(tf.math.mul(y, w), tf.constant(0)); // [N,D]
  }
}
