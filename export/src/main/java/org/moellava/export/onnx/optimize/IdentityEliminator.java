package org.moellava.export.onnx.optimize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;

/**
 * Removes Identity nodes. First every Identity that does not name a graph output is bypassed. Then an
 * Identity that names a graph output is folded into its producer when the producer is a node, its tensor is not
 * itself a graph output, and nothing else reads it; or, with {@code sharedOutputs}, also when other nodes read it:
 * the producer's output takes the graph output's name and the other readers read it under that name (e.g.
 * {@code present.i.key}, which the attention also reads: the Identity copied the whole KV cache every step).
 */
public final class IdentityEliminator implements OnnxOptimizer {
  private final boolean sharedOutputs;

  /** Folds only Identities whose input has no other reader. */
  public IdentityEliminator() {
    this(false);
  }

  /** With {@code sharedOutputs}, also folds an output Identity whose input other nodes read. */
  public IdentityEliminator(boolean sharedOutputs) {
    this.sharedOutputs = sharedOutputs;
  }

  @Override
  public GraphProto optimize(GraphProto g) {
    return foldIntoProducers(bypass(g), sharedOutputs);
  }

  private static boolean isIdentity(NodeProto n) {
    return n.getOpType().equals("Identity") && n.getDomain().isEmpty();
  }

  private static GraphProto bypass(GraphProto g) {
    Set<String> outputs = GraphEdits.graphOutputs(g);
    Map<String, String> renames = new HashMap<>();
    List<NodeProto> kept = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      if (isIdentity(n) && !outputs.contains(n.getOutput(0))) {
        renames.put(n.getOutput(0), n.getInput(0));
      } else {
        kept.add(n);
      }
    }
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto n : kept) nodes.add(GraphEdits.renameInputs(n, renames));
    return GraphEdits.withNodes(g, nodes);
  }

  private static GraphProto foldIntoProducers(GraphProto g, boolean sharedOutputs) {
    Set<String> outputs = GraphEdits.graphOutputs(g);
    Map<String, NodeProto> producers = GraphEdits.producers(g);
    Map<String, Integer> uses = GraphEdits.useCounts(g);
    Map<String, String> outputRenames = new HashMap<>(); // producer output -> graph output name
    List<NodeProto> kept = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) {
      String in = isIdentity(n) ? n.getInput(0) : null;
      if (in != null && producers.containsKey(in) && !isIdentity(producers.get(in)) && !outputs.contains(in)
          && !outputRenames.containsKey(in) && (sharedOutputs || uses.getOrDefault(in, 0) == 1)) {
        outputRenames.put(in, n.getOutput(0));
      } else {
        kept.add(n);
      }
    }
    if (outputRenames.isEmpty()) return g;
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto n : kept) {
      NodeProto.Builder b = GraphEdits.renameInputs(n, outputRenames).toBuilder().clearOutput();
      for (String o : n.getOutputList()) b.addOutput(outputRenames.getOrDefault(o, o));
      nodes.add(b.build());
    }
    return GraphEdits.withNodes(g, nodes);
  }
}
