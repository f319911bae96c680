package org.moellava.export.quant;

import org.moellava.export.onnx.io.InitializerSpill;
import org.moellava.export.onnx.proto.ModelProto;

/**
 * {@code --quant-format qdq}: rewrites a converted model so that every MatMul reading a quantization target
 * ({@link QuantTargetWalker}: dense linears, and each expert of the standard sparse dispatch on its own) becomes
 * {@code DequantizeLinear(W_q int8 [K, N], scale [N], axis 1) -> MatMul} in the default domain
 * ({@link QdqNodes}), with the weights quantized per output channel ({@link ChannelQuantizer}). Tensor by tensor;
 * with a spill (models streamed to external data) each matrix's codes go to it as soon as they are made.
 */
public final class QdqRewriter {
  private QdqRewriter() {}

  /**
   * Quantizes the targets {@code model} reads.
   *
   * @param spill the model's external data being written, or null to keep the codes on the heap
   */
  public static MatMulNBitsRewriter.Result rewrite(ModelProto model, QuantTargets targets, InitializerSpill spill) {
    return QuantTargetWalker.rewrite(model, targets, QuantScheme.int8PerChannel().id(),
        (n, name, source, offset, k, cols, initializers) -> {
          ChannelQuantizedMatrix q = ChannelQuantizer.quantize(source, offset, k, cols);
          QdqNodes.Names names = QdqNodes.Names.of(name.replace('#', '/'));
          initializers.addAll(QdqNodes.initializers(names, q, spill));
          return QdqNodes.dequantizeMatMul(n.getName(), n.getInput(0), names, n.getOutput(0));
        });
  }
}
