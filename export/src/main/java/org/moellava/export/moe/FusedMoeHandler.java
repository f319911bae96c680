package org.moellava.export.moe;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.handlers.ConversionContext;
import org.moellava.export.onnx.handlers.OpHandlerRegistry;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.tf.TfNode;

/**
 * Converts {@value FusedMoeRewriter#FUSED_OP} to one {@code com.microsoft.MoE} node (ONNX Runtime contrib op):
 * {@code input [N, D]}, {@code router_probs [N, E]} (ONNX Runtime applies softmax, top-k and, with
 * {@code normalize_routing_weights=1}, renormalisation itself: the router logits go in), {@code fc1} the fused
 * SwiGLU weights {@code [E, 2I, D]} with gate and up rows interleaved ({@code swiglu_fusion=1}, the only SwiGLU
 * layout ONNX Runtime's CPU kernel takes: {@code silu(gate) * (up + beta)}, here with alpha 1, beta 0 and no clamp),
 * no fc1 bias, {@code fc2} the down weights {@code [E, D, I]}. Weights are stored {@code [E, out, in]}.
 */
public final class FusedMoeHandler {
  /** ONNX Runtime's contrib-op domain. */
  public static final String DOMAIN = "com.microsoft";
  /** Effectively no clamp of the SwiGLU inputs. */
  static final float NO_LIMIT = Float.MAX_VALUE;

  private FusedMoeHandler() {}

  /** Registers the handler in {@code registry}. */
  public static OpHandlerRegistry register(OpHandlerRegistry registry) {
    return registry.register(FusedMoeRewriter.FUSED_OP, FusedMoeHandler::convert);
  }

  private static List<String> convert(TfNode n, ConversionContext ctx) {
    ConstTensor gate = ctx.requireConstant(n, 2, "experts gate weights"); // [E, D, I]
    ConstTensor up = ctx.requireConstant(n, 3, "experts up weights"); // [E, D, I]
    ConstTensor down = ctx.requireConstant(n, 4, "experts down weights"); // [E, I, D]
    if (gate.elemType() != TensorProto.DataType.FLOAT_VALUE || gate.rank() != 3) {
      throw ctx.fail(n, "expert weights must be float32 [E, D, I]");
    }
    String fc1 = ctx.onnx().initializer(n.name() + "/fc1_experts_weights", interleave(gate, up)); // [E, 2I, D]
    String fc2 = ctx.onnx().initializer(n.name() + "/fc2_experts_weights", down.transpose(0, 2, 1)); // [E, D, I]
    return List.of(ctx.onnx().node(DOMAIN, "MoE")
        .inputs(ctx.input(n, 0), ctx.input(n, 1), fc1, "", fc2)
        .attr("k", n.intAttr("k", 2))
        .attr("activation_type", "swiglu")
        .attr("swiglu_fusion", 1L)
        .attr("activation_alpha", 1.0f)
        .attr("activation_beta", 0.0f)
        .attr("swiglu_limit", NO_LIMIT)
        .attr("normalize_routing_weights", 1L)
        .output(n.name()));
  }

  /** {@code gate, up [E, D, I]} to {@code [E, 2I, D]} with row 2i the gate and row 2i+1 the up projection of i. */
  static ConstTensor interleave(ConstTensor gate, ConstTensor up) {
    long[] s = gate.shape();
    int e = (int) s[0];
    int d = (int) s[1];
    int inter = (int) s[2];
    ByteBuffer g = ByteBuffer.wrap(gate.data()).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer u = ByteBuffer.wrap(up.data()).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocate(Math.multiplyExact(gate.data().length, 2)).order(ByteOrder.LITTLE_ENDIAN);
    for (int x = 0; x < e; x++) {
      for (int i = 0; i < inter; i++) {
        for (ByteBuffer src : new ByteBuffer[] {g, u}) {
          for (int c = 0; c < d; c++) {
            out.putFloat(src.getFloat(4 * ((x * d + c) * inter + i)));
          }
        }
      }
    }
    return new ConstTensor(TensorProto.DataType.FLOAT_VALUE, new long[] {e, 2L * inter, d}, out.array());
  }
}
