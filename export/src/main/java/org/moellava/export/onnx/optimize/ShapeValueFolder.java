package org.moellava.export.onnx.optimize;

import java.util.List;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * Replaces integer shape arithmetic whose result {@link ShapeFacts} knows statically by an initializer: e.g.
 * {@code Gather(Shape(x), 2)} when dim 2 of {@code x} is static although others are not. ONNX Runtime folds only
 * what its own shape inference proves, which stops at the first symbolic dim of the shape.
 */
public final class ShapeValueFolder implements OnnxOptimizer {
  @Override
  public GraphProto optimize(GraphProto g) {
    ShapeFacts facts = ShapeFacts.of(g);
    GraphRewrite rw = new GraphRewrite(g);
    for (NodeProto n : g.getNodeList()) {
      if (foldable(n, facts, rw)) {
        for (String o : n.getOutputList()) {
          List<SymDim> shape = facts.shape(o);
          rw.initializerNamed(o, facts.type(o), facts.constants(o), shape.isEmpty());
        }
        continue;
      }
      rw.keep(n);
    }
    return rw.build();
  }

  private static boolean foldable(NodeProto n, ShapeFacts facts, GraphRewrite rw) {
    if (!n.getDomain().isEmpty() || n.getOutputCount() == 0 || n.getOpType().equals("Constant")) return false;
    for (String o : n.getOutputList()) {
      if (o.isEmpty() || rw.isGraphOutput(o) || facts.constants(o) == null) return false;
      Integer t = facts.type(o);
      if (t == null || (t != TensorProto.DataType.INT64_VALUE && t != TensorProto.DataType.INT32_VALUE)) {
        return false;
      }
      List<SymDim> shape = facts.shape(o);
      if (shape == null || shape.size() > 1) return false;
      if (shape.size() == 1 && !shape.get(0).is(facts.constants(o).length)) return false;
      if (shape.isEmpty() && facts.constants(o).length != 1) return false;
    }
    return true;
  }
}
