package org.moellava.export.onnx.optimize;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/** Drops nodes none of whose outputs is used, and initializers nothing reads. */
public final class DeadNodeEliminator implements OnnxOptimizer {
  @Override
  public GraphProto optimize(GraphProto g) {
    Set<String> live = new HashSet<>(GraphEdits.graphOutputs(g));
    List<NodeProto> kept = new ArrayList<>();
    List<NodeProto> nodes = g.getNodeList();
    for (int i = nodes.size() - 1; i >= 0; i--) { // nodes are in topological order
      NodeProto n = nodes.get(i);
      if (n.getOutputList().stream().anyMatch(live::contains)) {
        kept.add(n);
        live.addAll(n.getInputList());
      }
    }
    Collections.reverse(kept);
    GraphProto.Builder b = g.toBuilder().clearNode().addAllNode(kept).clearInitializer();
    for (TensorProto t : g.getInitializerList()) {
      if (live.contains(t.getName())) b.addInitializer(t);
    }
    return b.build();
  }
}
