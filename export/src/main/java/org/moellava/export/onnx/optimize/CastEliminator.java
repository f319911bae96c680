package org.moellava.export.onnx.optimize;

import java.util.List;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * Removes Casts that change nothing: a Cast to the type its input already has, and the int64 -> int32 -> int64
 * round trip of shape arithmetic (TF computes shapes in int32; ONNX's Shape gives and Reshape takes int64) when the
 * int64 tensor holds dimensions ({@link ShapeFacts} knows its elements: values of {@code Shape}, constants, and
 * arithmetic on them), which the graph's int32 math already assumes fit in 32 bits.
 */
public final class CastEliminator implements OnnxOptimizer {
  @Override
  public GraphProto optimize(GraphProto g) {
    ShapeFacts facts = ShapeFacts.of(g);
    GraphRewrite rw = new GraphRewrite(g);
    for (NodeProto n : g.getNodeList()) {
      if (GraphRewrite.is(n, "Cast") && !rw.isGraphOutput(n.getOutput(0))) {
        String source = source(n, facts, rw);
        if (source != null) {
          rw.bypass(n.getOutput(0), source);
          continue;
        }
      }
      rw.keep(n);
    }
    return rw.build();
  }

  /** The tensor equal to this Cast's output, or null. */
  private static String source(NodeProto n, ShapeFacts facts, GraphRewrite rw) {
    long to = ShapeFacts.intAttr(n, "to", 0);
    String in = n.getInput(0);
    Integer type = facts.type(in);
    if (type != null && type == to) return in;
    NodeProto inner = rw.producer(in);
    if (to == TensorProto.DataType.INT64_VALUE && GraphRewrite.is(inner, "Cast")
        && ShapeFacts.intAttr(inner, "to", 0) == TensorProto.DataType.INT32_VALUE) {
      String x = inner.getInput(0);
      List<SymDim> v = facts.value(x);
      Integer xt = facts.type(x);
      if (xt != null && xt == TensorProto.DataType.INT64_VALUE && v != null && fits(v)) return x;
    }
    return null;
  }

  private static boolean fits(List<SymDim> v) {
    for (SymDim d : v) {
      if (d.isConstant() && (d.coef() > Integer.MAX_VALUE || d.coef() < Integer.MIN_VALUE)) return false;
    }
    return true;
  }
}
