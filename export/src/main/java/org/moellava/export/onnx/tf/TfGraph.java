package org.moellava.export.onnx.tf;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.error.InvalidInputException;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * An immutable TF graph: its nodes by name, in GraphDef order, plus the GraphDef's versions. Rewriters
 * produce new instances with {@link #withNodes}.
 */
public final class TfGraph {
  private final String name;
  private final GraphDef template;
  private final Map<String, TfNode> nodes;

  private TfGraph(String name, GraphDef template, Collection<NodeDef> defs) {
    this.name = name;
    this.template = template;
    Map<String, TfNode> byName = new LinkedHashMap<>();
    for (NodeDef d : defs) {
      if (byName.put(d.getName(), new TfNode(d)) != null) {
        throw new InvalidInputException("graph " + name + ": duplicate node name '" + d.getName() + "'");
      }
    }
    this.nodes = byName;
  }

  /** Wraps {@code graphDef}; {@code name} names the graph in error messages. */
  public static TfGraph of(String name, GraphDef graphDef) {
    return new TfGraph(name, graphDef.toBuilder().clearNode().build(), graphDef.getNodeList());
  }

  public String name() {
    return name;
  }

  public Collection<TfNode> nodes() {
    return nodes.values();
  }

  public boolean contains(String nodeName) {
    return nodes.containsKey(nodeName);
  }

  /** The node called {@code nodeName}; fails naming the graph if there is none. */
  public TfNode node(String nodeName) {
    TfNode n = nodes.get(nodeName);
    if (n == null) {
      throw new InvalidInputException("graph " + name + " has no node '" + nodeName + "'");
    }
    return n;
  }

  /** A graph with the same name and versions and the given nodes. */
  public TfGraph withNodes(Collection<NodeDef> defs) {
    return new TfGraph(name, template, defs);
  }

  /** The GraphDef of this graph. */
  public GraphDef toGraphDef() {
    GraphDef.Builder b = template.toBuilder();
    for (TfNode n : nodes.values()) b.addNode(n.def());
    return b.build();
  }

  /**
   * The nodes that {@code outputs} depend on through data inputs, in topological order (producers first).
   * Control inputs are dropped: an exported inference graph has no side effects to order.
   */
  public List<TfNode> topologicalOrder(Collection<TfRef> outputs) {
    Set<String> needed = new HashSet<>();
    Deque<String> work = new ArrayDeque<>();
    for (TfRef r : outputs) {
      node(r.node());
      work.add(r.node());
    }
    while (!work.isEmpty()) {
      String n = work.pop();
      if (needed.add(n)) {
        for (TfRef in : node(n).inputs()) work.push(in.node());
      }
    }
    Map<String, Integer> pending = new HashMap<>();
    Map<String, List<String>> consumers = new HashMap<>();
    Deque<String> ready = new ArrayDeque<>();
    for (TfNode n : nodes.values()) {
      if (!needed.contains(n.name())) continue;
      Set<String> distinct = new HashSet<>();
      for (TfRef in : n.inputs()) distinct.add(in.node());
      pending.put(n.name(), distinct.size());
      for (String p : distinct) consumers.computeIfAbsent(p, k -> new ArrayList<>()).add(n.name());
      if (distinct.isEmpty()) ready.add(n.name());
    }
    List<TfNode> order = new ArrayList<>();
    while (!ready.isEmpty()) {
      String n = ready.poll();
      order.add(nodes.get(n));
      for (String c : consumers.getOrDefault(n, List.of())) {
        if (pending.merge(c, -1, Integer::sum) == 0) ready.add(c);
      }
    }
    if (order.size() != needed.size()) {
      throw new InvalidInputException("graph " + name + " has a cycle among the nodes the outputs need");
    }
    return order;
  }
}
