package org.moellava.export.onnx.optimize;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * Does TF's int32 shape arithmetic in int64, the type ONNX's {@code Shape} gives and {@code Reshape} takes, so the
 * {@code Cast}s at both ends fall away. A tensor is widened when it holds dimensions ({@link ShapeFacts} knows its
 * elements: the graph's own int32 math already assumes they fit in 32 bits), is int32, and is made by
 * {@code Cast(to=int32)} of an int64 tensor or by a data-movement or arithmetic op ({@code Gather}, {@code Slice},
 * {@code Unsqueeze}, {@code Squeeze}, {@code Reshape}, {@code Identity}, {@code Concat}, {@code Add}, {@code Sub},
 * {@code Mul}) whose int32 operands are widened tensors or small int32 constants; and only when every reader is
 * such an op or a {@code Cast} (others, e.g. {@code Range}, keep the int32 tensor). The int32-to-int64 Casts left
 * then cast to their own type, which {@link CastEliminator} drops.
 */
public final class ShapeMathWidener implements OnnxOptimizer {
  private static final int INT32 = TensorProto.DataType.INT32_VALUE;
  private static final int INT64 = TensorProto.DataType.INT64_VALUE;
  private static final Set<String> MOVES = Set.of("Gather", "Slice", "Unsqueeze", "Squeeze", "Reshape", "Identity");
  private static final Set<String> MATH = Set.of("Concat", "Add", "Sub", "Mul");

  @Override
  public GraphProto optimize(GraphProto g) {
    ShapeFacts facts = ShapeFacts.of(g);
    Map<String, List<NodeProto>> readers = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) readers.computeIfAbsent(in, k -> new java.util.ArrayList<>()).add(n);
    }
    Set<String> graphOutputs = GraphEdits.graphOutputs(g);
    Set<NodeProto> widened = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      if (candidate(n, facts, widened)) widened.add(n);
    }
    boolean changed = true;
    while (changed) { // drop nodes with a reader that needs int32, and then what read them
      changed = false;
      Set<String> outs = new HashSet<>();
      for (NodeProto n : widened) outs.add(n.getOutput(0));
      for (NodeProto n : List.copyOf(widened)) {
        if (!acceptsWide(n, readers.getOrDefault(n.getOutput(0), List.of()), widened, outs)
            || graphOutputs.contains(n.getOutput(0)) || !inputsStillWide(n, facts, outs)) {
          widened.remove(n);
          changed = true;
        }
      }
    }
    if (widened.isEmpty()) return g;
    GraphRewrite rw = new GraphRewrite(g);
    for (NodeProto n : g.getNodeList()) {
      if (!widened.contains(n)) {
        rw.keep(n);
      } else if (GraphRewrite.is(n, "Cast")) {
        rw.bypass(n.getOutput(0), n.getInput(0));
      } else {
        NodeProto.Builder b = n.toBuilder();
        int first = GraphRewrite.is(n, "Concat") || MATH.contains(n.getOpType()) ? n.getInputCount() : 1;
        for (int i = 0; i < first; i++) {
          String in = n.getInput(i);
          Integer t = facts.type(in);
          if (facts.initializer(in) != null && t != null && t == INT32) {
            b.setInput(i, rw.int64Initializer(in + "/i64", facts.constants(in),
                facts.shape(in).isEmpty()));
          }
        }
        rw.add(b.build());
      }
    }
    return rw.build();
  }

  /** Whether {@code n} makes an int32 tensor of dims from int64 dims, widened tensors and int32 constants. */
  private static boolean candidate(NodeProto n, ShapeFacts facts, Set<NodeProto> widened) {
    if (!n.getDomain().isEmpty() || n.getOutputCount() != 1) return false;
    String out = n.getOutput(0);
    Integer t = facts.type(out);
    if (t == null || t != INT32 || facts.value(out) == null) return false;
    if (n.getOpType().equals("Cast")) {
      Integer from = facts.type(n.getInput(0));
      return from != null && from == INT64 && facts.value(n.getInput(0)) != null;
    }
    return (MOVES.contains(n.getOpType()) || MATH.contains(n.getOpType())) && operandsOk(n, facts, widened, null);
  }

  private static boolean operandsOk(NodeProto n, ShapeFacts facts, Set<NodeProto> widened, Set<String> outs) {
    int data = MATH.contains(n.getOpType()) ? n.getInputCount() : 1;
    for (int i = 0; i < data; i++) {
      String in = n.getInput(i);
      boolean wide = outs != null ? outs.contains(in)
          : widened.stream().anyMatch(w -> w.getOutput(0).equals(in));
      boolean smallConst = facts.initializer(in) != null && facts.constants(in) != null;
      if (!wide && !smallConst) return false;
    }
    return true;
  }

  private static boolean inputsStillWide(NodeProto n, ShapeFacts facts, Set<String> outs) {
    return n.getOpType().equals("Cast") || operandsOk(n, facts, null, outs);
  }

  /** Whether every reader of {@code n}'s output takes an int64 tensor there as well. */
  private static boolean acceptsWide(NodeProto n, List<NodeProto> readers, Set<NodeProto> widened,
      Set<String> outs) {
    String out = n.getOutput(0);
    for (NodeProto r : readers) {
      if (widened.contains(r) || GraphRewrite.is(r, "Cast")) continue;
      // an index-like operand of a kept op (Gather indices, Slice starts/ends, Reshape target, ...) takes int64 too
      boolean indexOnly = true;
      for (int i = 0; i < r.getInputCount(); i++) {
        if (r.getInput(i).equals(out) && !indexOperand(r, i)) indexOnly = false;
      }
      if (!indexOnly) return false;
    }
    return true;
  }

  /** Operands where ONNX accepts int32 or int64 alike. */
  private static boolean indexOperand(NodeProto r, int i) {
    if (!r.getDomain().isEmpty()) return false;
    return switch (r.getOpType()) {
      case "Gather", "GatherElements" -> i == 1;
      case "Slice" -> i >= 1;
      case "OneHot" -> i == 0 || i == 1;
      default -> false;
    };
  }
}
