package org.moellava.export.onnx.optimize;

import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * Writes TF's RMSNorm, {@code x * Reciprocal(Sqrt(ReduceMean(Mul(x, x), -1) + eps))}, as
 * {@code x / Sqrt(ReduceMean(Pow(x, 2), -1) + eps)}, the form ONNX Runtime fuses into one
 * {@code SimplifiedLayerNormalization} kernel (seven kernels per norm become one). The same function; the result
 * differs only in rounding ({@code x / s} against {@code x * (1 / s)}, within an ulp; ONNX Runtime's Pow squares
 * exactly for exponent 2). Rewritten only when the square and the reciprocal feed nothing else and {@code x} is
 * float32.
 */
public final class RmsNormCanonicalizer implements OnnxOptimizer {
  @Override
  public GraphProto optimize(GraphProto g) {
    ShapeFacts facts = ShapeFacts.of(g);
    GraphRewrite rw = new GraphRewrite(g);
    String two = null;
    java.util.Set<String> products = new java.util.HashSet<>(); // outputs of the x * Reciprocal(s) to rewrite
    for (NodeProto n : g.getNodeList()) {
      NodeProto product = isSquare(n, facts, rw) ? normalization(rw.reader(n.getOutput(0)), n, rw) : null;
      if (product != null) {
        products.add(product.getOutput(0));
        if (two == null) two = rw.floatScalar("rmsnorm/two", 2f);
        rw.add(NodeProto.newBuilder().setOpType("Pow").setName(rw.fresh(n.getOutput(0) + "/pow"))
            .addInput(n.getInput(0)).addInput(two).addOutput(n.getOutput(0)).build());
        continue;
      }
      String[] div = products.contains(n.getOutput(0)) ? reciprocalProduct(n, rw) : null;
      if (div != null) {
        rw.add(NodeProto.newBuilder().setOpType("Div").setName(rw.fresh(n.getOutput(0) + "/div"))
            .addInput(div[0]).addInput(div[1]).addOutput(n.getOutput(0)).build());
        continue;
      }
      rw.keep(n);
    }
    return rw.build();
  }

  /** {@code Mul(x, x)} of float32 {@code x} read only by {@code ReduceMean(axes [-1], keepdims 1)}. */
  private static boolean isSquare(NodeProto n, ShapeFacts facts, GraphRewrite rw) {
    if (!GraphRewrite.is(n, "Mul") || n.getInputCount() != 2 || !n.getInput(0).equals(n.getInput(1))) return false;
    Integer t = facts.type(n.getInput(0));
    if (t == null || t != TensorProto.DataType.FLOAT_VALUE || rw.uses(n.getOutput(0)) != 1) return false;
    NodeProto mean = rw.reader(n.getOutput(0));
    long[] axes = mean == null ? null : ShapeFacts.intsAttr(mean, "axes");
    return GraphRewrite.is(mean, "ReduceMean") && mean.getInputCount() == 1 && axes != null && axes.length == 1
        && axes[0] == -1 && ShapeFacts.intAttr(mean, "keepdims", 1) == 1;
  }

  /** The {@code Mul(x, .)} ending {@code mean -> Add(eps) -> Sqrt -> Reciprocal -> Mul(x, .)}, or null. */
  private static NodeProto normalization(NodeProto mean, NodeProto square, GraphRewrite rw) {
    NodeProto add = rw.reader(mean.getOutput(0));
    if (!GraphRewrite.is(add, "Add") || rw.uses(mean.getOutput(0)) != 1) return null;
    NodeProto sqrt = rw.reader(add.getOutput(0));
    if (!GraphRewrite.is(sqrt, "Sqrt") || rw.uses(add.getOutput(0)) != 1) return null;
    NodeProto recip = rw.reader(sqrt.getOutput(0));
    if (!GraphRewrite.is(recip, "Reciprocal") || rw.uses(sqrt.getOutput(0)) != 1) return null;
    NodeProto mul = rw.reader(recip.getOutput(0));
    boolean sameX = mul != null && (mul.getInput(0).equals(square.getInput(0))
        || mul.getInput(1).equals(square.getInput(0)));
    return sameX && reciprocalProduct(mul, rw) != null ? mul : null;
  }

  /** For {@code Mul(x, Reciprocal(s))} (either order) whose reciprocal feeds nothing else: {@code {x, s}}. */
  private static String[] reciprocalProduct(NodeProto n, GraphRewrite rw) {
    if (!GraphRewrite.is(n, "Mul") || n.getInputCount() != 2) return null;
    for (int i = 0; i < 2; i++) {
      NodeProto recip = rw.producer(n.getInput(i));
      if (GraphRewrite.is(recip, "Reciprocal") && rw.uses(recip.getOutput(0)) == 1
          && GraphRewrite.is(rw.producer(recip.getInput(0)), "Sqrt")) {
        return new String[] {n.getInput(1 - i), recip.getInput(0)};
      }
    }
    return null;
  }
}
