package org.moellava.export.quant;

import java.nio.FloatBuffer;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * With tied word embeddings the decoder computes {@code logits = h · E^T}: the converter freezes the transposed
 * table into an fp32 initializer {@code [D, V]} named after the MatMul, not after the variable. This finds that
 * initializer by content (exactly the transpose of {@code E [V, D]}), so that {@code --quantize-embeddings} can
 * quantize the lm_head product with the lookup ({@link MatMulNBitsRewriter} as a dense target: the same blocks
 * along D as the GatherBlockQuantized lookup, so both read the same codes and scales).
 */
public final class TiedLmHead {
  private TiedLmHead() {}

  /**
   * The name of the fp32 initializer {@code [D, V]} that a MatMul of {@code decoder} reads as {@code B} and that
   * holds {@code table [V, D]} (row-major) transposed.
   *
   * @throws InvalidInputException when no MatMul reads such an initializer
   */
  public static String find(ModelProto decoder, float[] table, int v, int d) {
    java.util.Map<String, TensorProto> inits = new java.util.HashMap<>();
    for (TensorProto t : decoder.getGraph().getInitializerList()) inits.put(t.getName(), t);
    for (NodeProto n : decoder.getGraph().getNodeList()) {
      if (!n.getOpType().equals("MatMul") || !n.getDomain().isEmpty() || n.getInputCount() != 2) continue;
      TensorProto b = inits.get(n.getInput(1));
      if (b == null || b.getDataType() != TensorProto.DataType.FLOAT_VALUE || b.getDimsCount() != 2
          || b.getDims(0) != d || b.getDims(1) != v) {
        continue;
      }
      if (isTranspose(MatMulNBitsRewriter.floats(b), table, v, d)) return b.getName();
    }
    throw new InvalidInputException("--quantize-embeddings: the word embeddings are tied, but no MatMul of the "
        + "decoder reads the embedding table transposed as its weight; cannot quantize lm_head with them");
  }

  /** Whether {@code bt [D, V]} is {@code table [V, D]} transposed, element for element. */
  static boolean isTranspose(FloatBuffer bt, float[] table, int v, int d) {
    for (int r = 0; r < d; r++) {
      for (int c = 0; c < v; c++) {
        if (Float.floatToRawIntBits(bt.get(r * v + c)) != Float.floatToRawIntBits(table[c * d + r])) return false;
      }
    }
    return true;
  }
}
