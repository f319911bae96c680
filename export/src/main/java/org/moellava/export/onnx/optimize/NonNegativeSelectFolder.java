package org.moellava.export.onnx.optimize;

import java.util.List;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;

/**
 * Drops the negative-index guard {@code Where(Less(x, 0), y, x)} (TF's negative indices, segment ids and one-hot
 * indices are converted with one) when {@link ShapeFacts} knows {@code x >= 0} (it comes from NonZero, TopK indices
 * and the like): the condition is false everywhere, so the result is {@code x}, provided broadcasting {@code y}
 * does not change {@code x}'s shape.
 */
public final class NonNegativeSelectFolder implements OnnxOptimizer {
  @Override
  public GraphProto optimize(GraphProto g) {
    ShapeFacts facts = ShapeFacts.of(g);
    GraphRewrite rw = new GraphRewrite(g);
    for (NodeProto n : g.getNodeList()) {
      if (GraphRewrite.is(n, "Where") && n.getInputCount() == 3 && !rw.isGraphOutput(n.getOutput(0))
          && alwaysElse(n, facts, rw)) {
        rw.bypass(n.getOutput(0), n.getInput(2));
        continue;
      }
      rw.keep(n);
    }
    return rw.build();
  }

  private static boolean alwaysElse(NodeProto where, ShapeFacts facts, GraphRewrite rw) {
    NodeProto less = rw.producer(where.getInput(0));
    String x = where.getInput(2);
    if (!GraphRewrite.is(less, "Less") || !less.getInput(0).equals(x) || !facts.nonNegative(x)) return false;
    long[] zero = facts.constants(less.getInput(1));
    if (zero == null || zero.length != 1 || zero[0] != 0) return false;
    List<SymDim> xs = facts.shape(x);
    List<SymDim> ys = facts.shape(where.getInput(1));
    List<SymDim> cs = facts.shape(less.getInput(1));
    return xs != null && ys != null && cs != null && !xs.isEmpty() && fitsInto(ys, xs) && fitsInto(cs, xs);
  }

  /** Whether broadcasting a tensor of shape {@code small} with {@code x} leaves {@code x}'s shape. */
  private static boolean fitsInto(List<SymDim> small, List<SymDim> x) {
    if (small.size() > x.size()) return false;
    for (int i = 0; i < small.size(); i++) {
      SymDim d = small.get(small.size() - 1 - i);
      if (!d.is(1) && !d.equals(x.get(x.size() - 1 - i))) return false;
    }
    return true;
  }
}
