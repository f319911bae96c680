package org.moellava.export.onnx.optimize;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/** Small helpers over a {@link GraphProto}: producers, graph outputs, renaming uses. */
final class GraphEdits {
  private GraphEdits() {}

  /** Output tensor name to the node producing it. */
  static Map<String, NodeProto> producers(GraphProto g) {
    Map<String, NodeProto> map = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String o : n.getOutputList()) map.put(o, n);
    }
    return map;
  }

  static Set<String> graphOutputs(GraphProto g) {
    Set<String> s = new HashSet<>();
    for (ValueInfoProto v : g.getOutputList()) s.add(v.getName());
    return s;
  }

  /** Number of node inputs that read each tensor. */
  static Map<String, Integer> useCounts(GraphProto g) {
    Map<String, Integer> uses = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) uses.merge(in, 1, Integer::sum);
    }
    return uses;
  }

  /** {@code node} with every input in {@code renames} replaced. */
  static NodeProto renameInputs(NodeProto node, Map<String, String> renames) {
    NodeProto.Builder b = node.toBuilder().clearInput();
    for (String in : node.getInputList()) b.addInput(resolve(in, renames));
    return b.build();
  }

  /** Follows a rename chain to its end. */
  static String resolve(String name, Map<String, String> renames) {
    String r = name;
    while (renames.containsKey(r)) r = renames.get(r);
    return r;
  }

  /** {@code g} with its nodes replaced. */
  static GraphProto withNodes(GraphProto g, List<NodeProto> nodes) {
    return g.toBuilder().clearNode().addAllNode(nodes).build();
  }
}
