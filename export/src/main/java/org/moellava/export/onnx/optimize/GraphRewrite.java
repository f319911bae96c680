package org.moellava.export.onnx.optimize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/**
 * One pass of node-by-node edits over a graph in topological order: each node is kept, dropped (its outputs
 * renamed to existing tensors) or replaced by new nodes that read only tensors defined before it; new
 * initializers get fresh names. {@link #build()} applies the renames to every later input.
 */
final class GraphRewrite {
  private final GraphProto graph;
  private final Set<String> names = new HashSet<>();
  private final Set<String> graphOutputs;
  private final Map<String, String> renames = new HashMap<>();
  private final List<NodeProto> nodes = new ArrayList<>();
  private final List<TensorProto> added = new ArrayList<>();
  private final Map<String, NodeProto> producers;
  private final Map<String, Integer> uses;
  private boolean changed;

  GraphRewrite(GraphProto graph) {
    this.graph = graph;
    this.graphOutputs = GraphEdits.graphOutputs(graph);
    this.producers = GraphEdits.producers(graph);
    this.uses = GraphEdits.useCounts(graph);
    for (NodeProto n : graph.getNodeList()) names.addAll(n.getOutputList());
    for (TensorProto t : graph.getInitializerList()) names.add(t.getName());
    for (ValueInfoProto v : graph.getInputList()) names.add(v.getName());
  }

  /** The node producing {@code tensor} in the input graph, or null. */
  NodeProto producer(String tensor) {
    return producers.get(tensor);
  }

  /** The one node reading {@code tensor} in the input graph, or null when none or several do. */
  NodeProto reader(String tensor) {
    NodeProto found = null;
    for (NodeProto n : graph.getNodeList()) {
      if (n.getInputList().contains(tensor)) {
        if (found != null) return null;
        found = n;
      }
    }
    return found;
  }

  /** How many node inputs read {@code tensor} in the input graph (graph outputs not counted). */
  int uses(String tensor) {
    return uses.getOrDefault(tensor, 0);
  }

  boolean isGraphOutput(String tensor) {
    return graphOutputs.contains(tensor);
  }

  /** Keeps {@code n} (with renamed inputs). */
  void keep(NodeProto n) {
    nodes.add(n);
  }

  /** Drops {@code n}; its output {@code output} is {@code replacement} from now on. */
  void bypass(String output, String replacement) {
    renames.put(output, replacement);
    changed = true;
  }

  /** Adds a node in place of the one being visited. */
  void add(NodeProto n) {
    nodes.add(n);
    changed = true;
  }

  /** Marks the visited node as dropped without a replacement for its outputs (they are initializers now). */
  void drop() {
    changed = true;
  }

  /** A new INT64 initializer of rank 1 (or 0 when {@code scalar}) with a fresh name derived from {@code base}. */
  String int64Initializer(String base, long[] values, boolean scalar) {
    String name = fresh(base);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
    if (!scalar) t.addDims(values.length);
    for (long v : values) t.addInt64Data(v);
    added.add(t.build());
    return name;
  }

  /** A new FLOAT scalar initializer with a fresh name derived from {@code base}. */
  String floatScalar(String base, float value) {
    String name = fresh(base);
    added.add(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addFloatData(value).build());
    return name;
  }

  /** An initializer named exactly {@code name} (the output of a node being dropped). */
  void initializerNamed(String name, int elemType, long[] values, boolean scalar) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(elemType);
    if (!scalar) t.addDims(values.length);
    for (long v : values) {
      if (elemType == TensorProto.DataType.INT64_VALUE) t.addInt64Data(v);
      else t.addInt32Data((int) v);
    }
    added.add(t.build());
    changed = true;
  }

  /** A tensor name not used in the graph. */
  String fresh(String base) {
    String name = base;
    for (int i = 1; names.contains(name); i++) name = base + "_" + i;
    names.add(name);
    return name;
  }

  /** The rewritten graph, or the input graph itself when nothing changed. */
  GraphProto build() {
    if (!changed) return graph;
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto n : nodes) out.add(GraphEdits.renameInputs(n, renames));
    GraphProto.Builder b = graph.toBuilder().clearNode().addAllNode(out).addAllInitializer(added);
    return b.build();
  }

  /** {@code n} with input {@code i} replaced. */
  static NodeProto withInput(NodeProto n, int i, String name) {
    return n.toBuilder().setInput(i, name).build();
  }

  /** {@code n} without attribute {@code name}. */
  static NodeProto withoutAttr(NodeProto n, String name) {
    NodeProto.Builder b = n.toBuilder().clearAttribute();
    for (AttributeProto a : n.getAttributeList()) {
      if (!a.getName().equals(name)) b.addAttribute(a);
    }
    return b.build();
  }

  static boolean is(NodeProto n, String opType) {
    return n != null && n.getOpType().equals(opType) && n.getDomain().isEmpty();
  }
}
