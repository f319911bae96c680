package org.moellava.export.pkg;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/** Edits at the boundary of a converted model: int64 integer inputs, custom-domain opset imports. */
public final class OnnxBoundary {
  private OnnxBoundary() {}

  /**
   * Declares the int32 inputs {@code names} as int64 (ONNX Runtime GenAI's convention for ids, mask and positions)
   * and casts them to int32 inside, where the converted TF graph expects int32.
   */
  public static ModelProto int64Inputs(ModelProto model, List<String> names) {
    GraphProto g = model.getGraph();
    Set<String> wanted = new HashSet<>(names);
    GraphProto.Builder b = g.toBuilder().clearInput().clearNode();
    for (ValueInfoProto in : g.getInputList()) {
      if (wanted.contains(in.getName())
          && in.getType().getTensorType().getElemType() == TensorProto.DataType.INT32_VALUE) {
        ValueInfoProto.Builder v = in.toBuilder();
        v.getTypeBuilder().getTensorTypeBuilder().setElemType(TensorProto.DataType.INT64_VALUE);
        b.addInput(v);
        b.addNode(NodeProto.newBuilder().setOpType("Cast").setName(in.getName() + "/to_int32")
            .addInput(in.getName()).addOutput(internal(in.getName()))
            .addAttribute(org.moellava.export.onnx.proto.AttributeProto.newBuilder().setName("to")
                .setType(org.moellava.export.onnx.proto.AttributeProto.AttributeType.INT)
                .setI(TensorProto.DataType.INT32_VALUE)));
      } else {
        wanted.remove(in.getName());
        b.addInput(in);
      }
    }
    for (NodeProto n : g.getNodeList()) {
      NodeProto.Builder nb = n.toBuilder();
      for (int i = 0; i < n.getInputCount(); i++) {
        if (wanted.contains(n.getInput(i))) nb.setInput(i, internal(n.getInput(i)));
      }
      b.addNode(nb);
    }
    return model.toBuilder().setGraph(b).build();
  }

  private static String internal(String input) {
    return input + "/int32";
  }

  /** Adds an opset import for every custom domain its nodes use (version 1). */
  public static ModelProto importCustomDomains(ModelProto model) {
    Set<String> imported = new HashSet<>();
    model.getOpsetImportList().forEach(o -> imported.add(o.getDomain()));
    ModelProto.Builder b = model.toBuilder();
    for (NodeProto n : model.getGraph().getNodeList()) {
      if (!n.getDomain().isEmpty() && imported.add(n.getDomain())) {
        b.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(n.getDomain()).setVersion(1));
      }
    }
    return b.build();
  }
}
