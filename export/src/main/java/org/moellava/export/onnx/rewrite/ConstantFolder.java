package org.moellava.export.onnx.rewrite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.tf.TfGraph;
import org.moellava.export.onnx.tf.TfGraphInfo;
import org.moellava.export.onnx.tf.TfNode;
import org.moellava.export.onnx.tf.TfRef;
import org.moellava.export.onnx.tf.TfTensors;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;

/**
 * Folds shape arithmetic before conversion. First {@code Shape}, {@code Size} and {@code Rank} of tensors
 * whose static shape TF knows become constants; then every single-output node whose inputs are all constant
 * is evaluated by TF itself (so folding is exact by construction) and replaced by a {@code Const}, where a
 * non-constant node consumes it. Placeholders, variables and random ops are never constant.
 */
public final class ConstantFolder implements TfRewriter {
  private static final Set<DataType> FOLDABLE_TYPES = Set.of(DataType.DT_FLOAT, DataType.DT_INT32,
      DataType.DT_INT64, DataType.DT_BOOL, DataType.DT_DOUBLE);

  @Override
  public TfGraph rewrite(TfGraph graph) {
    TfGraph shapesFolded = foldStaticShapes(graph, TfGraphInfo.infer(graph));
    return foldConstantSubgraphs(shapesFolded, TfGraphInfo.infer(shapesFolded));
  }

  private static TfGraph foldStaticShapes(TfGraph graph, TfGraphInfo info) {
    List<NodeDef> out = new ArrayList<>();
    for (TfNode n : graph.nodes()) {
      if (!Set.of("Shape", "Size", "Rank").contains(n.op()) || !info.get(n.input(0)).fullyKnown()) {
        out.add(n.def());
        continue;
      }
      long[] dims = info.get(n.input(0)).dims();
      DataType type = info.get(new TfRef(n.name(), 0)).type();
      long[] values = switch (n.op()) {
        case "Shape" -> dims;
        case "Size" -> new long[] {product(dims)};
        default -> new long[] {dims.length};
      };
      long[] shape = n.op().equals("Shape") ? new long[] {dims.length} : new long[0];
      out.add(constNode(n.name(), integerTensor(type, shape, values)));
    }
    return graph.withNodes(out);
  }

  private static TfGraph foldConstantSubgraphs(TfGraph graph, TfGraphInfo info) {
    Set<String> constant = new HashSet<>();
    boolean changed = true; // GraphDef order need not be topological: iterate to a fixed point
    while (changed) {
      changed = false;
      for (TfNode n : graph.nodes()) {
        if (!constant.contains(n.name()) && isConstant(n, constant)) {
          constant.add(n.name());
          changed = true;
        }
      }
    }
    Set<String> frontier = new HashSet<>();
    for (TfNode n : graph.nodes()) {
      if (constant.contains(n.name())) continue;
      for (TfRef in : n.inputs()) {
        TfNode producer = graph.node(in.node());
        if (constant.contains(producer.name()) && !producer.op().equals("Const") && singleFoldableOutput(info, producer)) {
          frontier.add(producer.name());
        }
      }
    }
    if (frontier.isEmpty()) return graph;
    Map<String, TensorProto> folded = evaluate(graph, frontier);
    List<NodeDef> out = new ArrayList<>();
    for (TfNode n : graph.nodes()) {
      TensorProto value = folded.get(n.name());
      out.add(value == null ? n.def() : constNode(n.name(), value));
    }
    return graph.withNodes(out);
  }

  private static boolean isConstant(TfNode n, Set<String> constant) {
    if (n.op().equals("Const")) return true;
    if (n.inputs().isEmpty() || n.op().contains("Random") || n.op().contains("Variable")) return false;
    return n.inputs().stream().allMatch(in -> constant.contains(in.node()));
  }

  private static boolean singleFoldableOutput(TfGraphInfo info, TfNode n) {
    return info.numOutputs(n.name()) == 1 && FOLDABLE_TYPES.contains(info.get(new TfRef(n.name(), 0)).type());
  }

  private static Map<String, TensorProto> evaluate(TfGraph graph, Set<String> names) {
    Map<String, TensorProto> values = new HashMap<>();
    List<String> order = new ArrayList<>(names);
    try (Graph g = new Graph()) {
      g.importGraphDef(graph.toGraphDef());
      try (Session s = new Session(g)) {
        Session.Runner runner = s.runner();
        order.forEach(runner::fetch);
        try (Result r = runner.run()) {
          for (int i = 0; i < order.size(); i++) {
            Tensor t = r.get(i);
            values.put(order.get(i), TfTensors.encode(t));
          }
        }
      }
    }
    return values;
  }

  private static NodeDef constNode(String name, TensorProto value) {
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(value.getDtype()).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(value).build()).build();
  }

  private static TensorProto integerTensor(DataType type, long[] shape, long[] values) {
    TensorProto.Builder t = TensorProto.newBuilder().setDtype(type).setTensorShape(TfTensors.shape(shape));
    for (long v : values) {
      if (type == DataType.DT_INT64) t.addInt64Val(v);
      else t.addIntVal((int) v);
    }
    return t.build();
  }

  private static long product(long[] dims) {
    long p = 1;
    for (long d : dims) p *= d;
    return p;
  }
}
