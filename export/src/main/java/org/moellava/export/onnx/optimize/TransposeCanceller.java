package org.moellava.export.onnx.optimize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;

/**
 * Removes a Transpose whose input is another Transpose when the two permutations compose to the identity
 * (e.g. the graph's NCHW->NHWC followed by the NHWC Conv2D's NHWC->NCHW): consumers read the first
 * Transpose's input directly. The first Transpose is left for {@link DeadNodeEliminator}.
 */
public final class TransposeCanceller implements OnnxOptimizer {
  @Override
  public GraphProto optimize(GraphProto g) {
    Map<String, NodeProto> producers = GraphEdits.producers(g);
    Set<String> outputs = GraphEdits.graphOutputs(g);
    Map<String, String> renames = new HashMap<>();
    List<NodeProto> kept = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      if (n.getOpType().equals("Transpose") && n.getDomain().isEmpty() && !outputs.contains(n.getOutput(0))) {
        NodeProto first = producers.get(n.getInput(0));
        if (first != null && first.getOpType().equals("Transpose") && first.getDomain().isEmpty()) {
          long[] p1 = perm(first);
          long[] p2 = perm(n);
          if (p1 != null && p2 != null && p1.length == p2.length && composesToIdentity(p1, p2)) {
            renames.put(n.getOutput(0), first.getInput(0));
            continue;
          }
        }
      }
      kept.add(n);
    }
    if (renames.isEmpty()) return g;
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto n : kept) nodes.add(GraphEdits.renameInputs(n, renames));
    return GraphEdits.withNodes(g, nodes);
  }

  private static long[] perm(NodeProto n) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals("perm")) return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }
    return null; // default perm reverses the axes; rank unknown here
  }

  /** Transpose(p2) of Transpose(p1): output axis j is input axis p1[p2[j]]. */
  private static boolean composesToIdentity(long[] p1, long[] p2) {
    for (int j = 0; j < p2.length; j++) {
      if (p1[(int) p2[j]] != j) return false;
    }
    return true;
  }
}
