package org.moellava.export.moe;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.rewrite.TfRewriter;
import org.moellava.export.onnx.tf.TfGraph;
import org.moellava.export.onnx.tf.TfNode;
import org.moellava.export.onnx.tf.TfRef;
import org.moellava.graph.variables.VariableNames;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;

/**
 * Replaces each MoE block's sparse dispatch (graph-builder's {@code ExpertDispatch.sparse}: per-expert
 * Where/Gather/SwiGLU/Mul/UnsortedSegmentSum, then one AddN over the experts) by a single {@value #FUSED_OP}
 * node, which {@link FusedMoeHandler} turns into {@code com.microsoft.MoE}.
 *
 * <p>The block is found from its frozen variables: the dispatch's AddN is the first one reached
 * forward from {@code experts.down} of layer j, and the router is the MatMul reading {@code router} of layer j,
 * whose data input is the block's tokens {@code [N, D]} and whose output is the router logits {@code [N, E]}.
 * The router MatMul stays in the graph, so {@code router_logits.{j}} is still an output. The fused node takes
 * the dispatch's name, so TF's type and shape of that output stay known.
 */
public final class FusedMoeRewriter implements TfRewriter {
  /** Op type of the fused node (never seen by TF). */
  public static final String FUSED_OP = "MoellavaFusedMoe";

  private final List<Integer> moeLayers;
  private final int topK;

  /** Fuses the MoE blocks of decoder layers {@code moeLayers}, which route each token to {@code topK} experts. */
  public FusedMoeRewriter(List<Integer> moeLayers, int topK) {
    this.moeLayers = List.copyOf(moeLayers);
    this.topK = topK;
  }

  @Override
  public TfGraph rewrite(TfGraph graph) {
    Map<String, List<TfNode>> consumers = consumers(graph);
    Map<String, NodeDef> replaced = new HashMap<>();
    for (int layer : moeLayers) {
      String down = VariableNames.expertsDown(layer);
      if (!graph.contains(down)) continue; // not in this graph (vision, embed)
      TfNode dispatch = firstForward(graph, consumers, down, "AddN");
      TfNode router = routerMatMul(graph, consumers, layer);
      NodeDef fused = NodeDef.newBuilder().setName(dispatch.name()).setOp(FUSED_OP)
          .addInput(router.def().getInput(0)).addInput(router.name())
          .addInput(VariableNames.expertsGate(layer)).addInput(VariableNames.expertsUp(layer)).addInput(down)
          .putAttr("k", AttrValue.newBuilder().setI(topK).build())
          .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
          .putAttr("layer", AttrValue.newBuilder().setI(layer).build())
          .build();
      replaced.put(dispatch.name(), fused);
    }
    List<NodeDef> out = new ArrayList<>();
    for (TfNode n : graph.nodes()) out.add(replaced.getOrDefault(n.name(), n.def()));
    return graph.withNodes(out);
  }

  private static Map<String, List<TfNode>> consumers(TfGraph graph) {
    Map<String, List<TfNode>> out = new HashMap<>();
    for (TfNode n : graph.nodes()) {
      for (TfRef in : n.inputs()) out.computeIfAbsent(in.node(), k -> new ArrayList<>()).add(n);
    }
    return out;
  }

  private static TfNode firstForward(TfGraph graph, Map<String, List<TfNode>> consumers, String from, String op) {
    Deque<String> work = new ArrayDeque<>(List.of(from));
    Set<String> seen = new HashSet<>();
    while (!work.isEmpty()) {
      String n = work.poll();
      if (!seen.add(n)) continue;
      for (TfNode c : consumers.getOrDefault(n, List.of())) {
        if (c.op().equals(op)) return c;
        work.add(c.name());
      }
    }
    throw new InvalidInputException("graph " + graph.name() + ": no " + op + " after '" + from
        + "': the MoE block does not have the sparse-dispatch form that --moe ort-fused fuses");
  }

  private static TfNode routerMatMul(TfGraph graph, Map<String, List<TfNode>> consumers, int layer) {
    String kernel = VariableNames.routerKernel(layer);
    Deque<String> work = new ArrayDeque<>(List.of(kernel));
    while (!work.isEmpty()) {
      String source = work.poll();
      for (TfNode c : consumers.getOrDefault(source, List.of())) {
        if (c.op().equals("MatMul") && c.input(1).node().equals(source)) return c;
        if (c.op().equals("Identity")) work.add(c.name());
      }
    }
    throw new InvalidInputException("graph " + graph.name() + ": no MatMul reads the router '" + kernel
        + "': the MoE block does not have the form that --moe ort-fused fuses");
  }
}
