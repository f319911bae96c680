package org.moellava.export.onnx.rewrite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.tf.TfGraph;
import org.moellava.export.onnx.tf.TfNode;
import org.moellava.tensor.TensorValue;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Turns variables into placeholders that the converter binds to ONNX initializers: {@code VariableV2},
 * {@code Variable} and {@code VarHandleOp} become {@code Placeholder}s of the variable's type and shape, and
 * {@code ReadVariableOp} becomes {@code Identity}. Weights never enter the GraphDef, so graphs with more than
 * 2 GB of weights convert too. Every variable left in the graph must have a value of matching shape.
 */
public final class VariableFreezer implements TfRewriter {
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "Variable", "VarHandleOp");

  private final Map<String, TensorValue> values;

  /** Freezes with {@code values} keyed by variable node name. */
  public VariableFreezer(Map<String, TensorValue> values) {
    this.values = values;
  }

  @Override
  public TfGraph rewrite(TfGraph graph) {
    List<NodeDef> out = new ArrayList<>();
    for (TfNode n : graph.nodes()) {
      if (VARIABLE_OPS.contains(n.op())) {
        out.add(freeze(graph, n));
      } else if (n.op().equals("ReadVariableOp")) {
        DataType type = n.typeAttr("dtype").orElse(DataType.DT_FLOAT);
        out.add(n.def().toBuilder().setOp("Identity").clearAttr()
            .putAttr("T", AttrValue.newBuilder().setType(type).build()).build());
      } else {
        out.add(n.def());
      }
    }
    return graph.withNodes(out);
  }

  private NodeDef freeze(TfGraph graph, TfNode n) {
    TensorValue value = values.get(n.name());
    if (value == null) {
      throw new InvalidInputException("graph " + graph.name() + ": no value for variable '" + n.name()
          + "' that the outputs need");
    }
    DataType type = n.typeAttr("dtype").orElse(DataType.DT_FLOAT);
    if (type != DataType.DT_FLOAT) {
      throw new InvalidInputException("graph " + graph.name() + ": variable '" + n.name() + "' has type "
          + type + "; only float32 variables can be frozen");
    }
    TensorShapeProto declared = n.attr("shape").map(AttrValue::getShape).orElse(TensorShapeProto.getDefaultInstance());
    if (!declared.getUnknownRank()) {
      long[] dims = declared.getDimList().stream().mapToLong(TensorShapeProto.Dim::getSize).toArray();
      boolean known = Arrays.stream(dims).allMatch(d -> d >= 0);
      if (known && !Arrays.equals(dims, value.shape())) {
        throw new InvalidInputException("graph " + graph.name() + ": variable '" + n.name() + "' has shape "
            + Arrays.toString(dims) + " but its value has shape " + Arrays.toString(value.shape()));
      }
    }
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : value.shape()) shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    return NodeDef.newBuilder().setName(n.name()).setOp("Placeholder").setDevice(n.def().getDevice())
        .putAttr("dtype", AttrValue.newBuilder().setType(type).build())
        .putAttr("shape", AttrValue.newBuilder().setShape(shape).build()).build();
  }
}
