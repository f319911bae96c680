package org.moellava.export.onnx.optimize;

import java.util.List;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;

/**
 * Folds the flatten-project-unflatten of a dense layer on a tensor of rank above 2:
 * {@code Reshape(x [..., K] -> [M, K]) -> MatMul(W [K, N]) -> [Add(b [N])] -> Reshape(-> [..., N])} becomes
 * {@code MatMul(x, W) -> [Add(b)]} (ONNX MatMul broadcasts over the leading dims; the rows are the same rows in the
 * same order). The unflattening target must be, per {@link ShapeFacts}, exactly {@code x}'s leading dims and
 * {@code N}; the MatMul and Add results must feed nothing else.
 */
public final class LinearReshapeFolder implements OnnxOptimizer {
  @Override
  public GraphProto optimize(GraphProto g) {
    ShapeFacts facts = ShapeFacts.of(g);
    GraphRewrite rw = new GraphRewrite(g);
    for (NodeProto n : g.getNodeList()) {
      if (!fold(n, facts, rw)) rw.keep(n);
    }
    return rw.build();
  }

  private static boolean fold(NodeProto r2, ShapeFacts facts, GraphRewrite rw) {
    if (!GraphRewrite.is(r2, "Reshape") || r2.getInputCount() != 2) return false;
    NodeProto add = rw.producer(r2.getInput(0));
    NodeProto mm;
    int biasSlot = -1;
    if (GraphRewrite.is(add, "Add") && rw.uses(add.getOutput(0)) == 1) {
      for (int s = 0; s < 2 && biasSlot < 0; s++) {
        NodeProto p = rw.producer(add.getInput(s));
        List<SymDim> bias = facts.shape(add.getInput(1 - s));
        if (GraphRewrite.is(p, "MatMul") && bias != null && bias.size() == 1) biasSlot = 1 - s;
      }
      if (biasSlot < 0) return false;
      mm = rw.producer(add.getInput(1 - biasSlot));
    } else {
      mm = add;
      add = null;
    }
    if (!GraphRewrite.is(mm, "MatMul") || rw.uses(mm.getOutput(0)) != 1) return false;
    NodeProto r1 = rw.producer(mm.getInput(0));
    if (!GraphRewrite.is(r1, "Reshape")) return false;
    String x = r1.getInput(0);
    List<SymDim> xs = facts.shape(x);
    List<SymDim> flat = facts.shape(r1.getOutput(0));
    List<SymDim> w = facts.shape(mm.getInput(1));
    List<SymDim> target = facts.value(r2.getInput(1));
    if (xs == null || xs.size() < 2 || flat == null || flat.size() != 2 || w == null || w.size() != 2
        || target == null) {
      return false;
    }
    SymDim k = w.get(0);
    SymDim nOut = w.get(1);
    if (!k.isConstant() || !nOut.isConstant() || !xs.get(xs.size() - 1).equals(k) || !flat.get(1).equals(k)) {
      return false;
    }
    if (add != null && !facts.shape(add.getInput(biasSlot)).get(0).equals(nOut)
        && !facts.shape(add.getInput(biasSlot)).get(0).is(1)) {
      return false;
    }
    if (target.size() != xs.size() || !target.get(target.size() - 1).equals(nOut)) return false;
    for (int i = 0; i < xs.size() - 1; i++) {
      if (!target.get(i).equals(xs.get(i)) || target.get(i).is(0) || target.get(i).is(-1)) return false;
    }
    String out = r2.getOutput(0);
    if (add == null) {
      rw.add(mm.toBuilder().setInput(0, x).setOutput(0, out).setName(rw.fresh(out + "/matmul")).build());
    } else {
      String product = rw.fresh(mm.getOutput(0) + "/nd");
      rw.add(mm.toBuilder().setInput(0, x).setOutput(0, product).setName(product).build());
      rw.add(add.toBuilder().setInput(1 - biasSlot, product).setOutput(0, out).setName(rw.fresh(out + "/add"))
          .build());
    }
    return true;
  }
}
