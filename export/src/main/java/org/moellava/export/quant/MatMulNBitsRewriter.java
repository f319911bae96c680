package org.moellava.export.quant;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * Rewrites a converted model so that the MatMuls reading a quantization target ({@link QuantTargetWalker}: dense
 * linears, and each expert of the standard sparse dispatch) become {@code com.microsoft.MatMulNBits}, tensor by
 * tensor: each expert piece becomes its own MatMulNBits (initializers {@code W/e/qweight ...}), so each expert still
 * computes only the tokens routed to it (an expert without tokens runs MatMulNBits on {@code A [0, K]}, which ONNX
 * Runtime accepts). A model that already holds quantized nodes is refused.
 */
public final class MatMulNBitsRewriter {
  /**
   * The rewritten model and what was quantized.
   *
   * @param tensors quantized variable (a stacked expert tensor once all its experts are) to scheme id
   */
  public record Result(ModelProto model, Map<String, String> tensors) {}

  private MatMulNBitsRewriter() {}

  /** Quantizes the targets {@code model} reads. */
  public static Result rewrite(ModelProto model, QuantTargets targets, QuantScheme scheme) {
    return QuantTargetWalker.rewrite(model, targets, scheme.id(),
        (n, name, source, offset, k, cols, initializers) -> {
          QuantizedMatrix q = BlockQuantizer.quantize(name, source, offset, k, cols, scheme);
          NBitsNodes.Names names = NBitsNodes.Names.of(name.replace('#', '/'));
          initializers.addAll(NBitsNodes.initializers(names, q));
          return List.of(NBitsNodes.matMul(n.getName(), n.getInput(0), names, q, n.getOutput(0)));
        });
  }

  /** Refuses a model that already holds quantized nodes (contrib ops, or a default-domain DequantizeLinear). */
  public static void requireUnquantized(ModelProto model, String what) {
    for (NodeProto n : model.getGraph().getNodeList()) {
      boolean contrib = n.getDomain().equals(NBitsNodes.DOMAIN)
          && (n.getOpType().equals(NBitsNodes.MATMUL_NBITS) || n.getOpType().equals("QMoE")
              || n.getOpType().equals(GatherBlockQuantizedRewriter.OP));
      boolean dq = n.getDomain().isEmpty() && n.getOpType().equals(QdqNodes.DEQUANTIZE_LINEAR);
      if (contrib || dq) {
        throw new InvalidInputException(what + " is already quantized (node " + n.getName() + " is "
            + n.getOpType() + "); quantize from the fp32 checkpoint");
      }
    }
  }

  /** The float elements of an initializer, without copying raw data. */
  static FloatBuffer floats(TensorProto t) {
    return QuantTargetWalker.floats(t);
  }
}
