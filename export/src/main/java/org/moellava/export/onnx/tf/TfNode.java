package org.moellava.export.onnx.tf;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;

/** Read access to one TF {@link NodeDef}: name, op type, data inputs (control inputs dropped), attributes. */
public final class TfNode {
  private final NodeDef def;
  private final List<TfRef> inputs;

  public TfNode(NodeDef def) {
    this.def = def;
    List<TfRef> in = new ArrayList<>();
    for (String s : def.getInputList()) {
      if (!s.startsWith("^")) in.add(TfRef.parse(s));
    }
    this.inputs = List.copyOf(in);
  }

  public NodeDef def() {
    return def;
  }

  public String name() {
    return def.getName();
  }

  public String op() {
    return def.getOp();
  }

  /** Data inputs in order. */
  public List<TfRef> inputs() {
    return inputs;
  }

  /** Data input {@code i}. */
  public TfRef input(int i) {
    return inputs.get(i);
  }

  public Optional<AttrValue> attr(String name) {
    return Optional.ofNullable(def.getAttrMap().get(name));
  }

  public long intAttr(String name, long fallback) {
    return attr(name).map(AttrValue::getI).orElse(fallback);
  }

  public boolean boolAttr(String name, boolean fallback) {
    return attr(name).map(AttrValue::getB).orElse(fallback);
  }

  public float floatAttr(String name, float fallback) {
    return attr(name).map(AttrValue::getF).orElse(fallback);
  }

  public String stringAttr(String name, String fallback) {
    return attr(name).map(a -> a.getS().toStringUtf8()).orElse(fallback);
  }

  public long[] intsAttr(String name) {
    return attr(name).map(a -> a.getList().getIList().stream().mapToLong(Long::longValue).toArray())
        .orElse(new long[0]);
  }

  public Optional<DataType> typeAttr(String name) {
    return attr(name).map(AttrValue::getType);
  }

  @Override
  public String toString() {
    return op() + " node '" + name() + "'";
  }
}
