package org.moellava.graph.layers;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Cumsum;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Puts the image features into the token embeddings: in each batch row, the positions where
 * {@code input_ids == image_token_index} take that row's image features in order (the r-th image token of row b
 * takes {@code image_features[b, r]}). Rows have either no image tokens or exactly P of them.
 */
public final class ImageSplice {
  private ImageSplice() {}

  /**
   * @param embeds {@code [B, S, D]} token embeddings
   * @param inputIds {@code [B, S]}
   * @param imageFeatures {@code [B, P, D]}
   * @return {@code [B, S, D]}
   */
  public static Operand<TFloat32> apply(Ops tf, Operand<TFloat32> embeds, Operand<TInt32> inputIds,
      Operand<TFloat32> imageFeatures, int imageTokenIndex, int numPatches, int hidden) {
    Operand<TInt32> isImage = tf.dtypes.cast(tf.math.equal(inputIds, tf.constant(imageTokenIndex)), TInt32.class);
    Operand<TInt32> rank = tf.math.sub(tf.math.cumsum(isImage, tf.constant(1), Cumsum.exclusive(false)),
        tf.constant(1)); // [B,S]: index of each image token within its row
    rank = tf.math.minimum(tf.math.maximum(rank, tf.constant(0)), tf.constant(numPatches - 1));
    Operand<TInt32> batch = TensorOps.dim(tf, inputIds, 0);
    Operand<TInt32> rowOffset = tf.expandDims(
        tf.math.mul(tf.range(tf.constant(0), batch, tf.constant(1)), tf.constant(numPatches)), tf.constant(1)); // [B,1]
    Operand<TInt32> flatIndex = tf.math.add(rank, rowOffset); // [B,S]
    Operand<TFloat32> flatFeatures = tf.reshape(imageFeatures, tf.constant(new int[] {-1, hidden})); // [B*P,D]
    Operand<TFloat32> gathered = tf.gather(flatFeatures, flatIndex, tf.constant(0)); // [B,S,D]
    Operand<TFloat32> m = tf.expandDims(tf.dtypes.cast(isImage, TFloat32.class), tf.constant(-1)); // [B,S,1]
    return tf.math.add(tf.math.mul(embeds, tf.math.sub(tf.constant(1f), m)), tf.math.mul(gathered, m));
  }
}
