package org.moellava.export.onnx.handlers;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.moellava.export.onnx.UnsupportedOpException;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.graph.OnnxGraphContext;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.tf.TfGraph;
import org.moellava.export.onnx.tf.TfGraphInfo;
import org.moellava.export.onnx.tf.TfNode;
import org.moellava.export.onnx.tf.TfRef;
import org.moellava.export.onnx.tf.TfTypes;

/**
 * What a handler sees while converting one TF graph: the ONNX graph under construction, the ONNX name of
 * every converted TF output, TF static types and shapes, constant values, and the target opset.
 */
public final class ConversionContext {
  private final OnnxGraphContext onnx;
  private final TfGraph tfGraph;
  private final TfGraphInfo info;
  private final int opset;
  private final Map<TfRef, String> names = new HashMap<>();

  public ConversionContext(OnnxGraphContext onnx, TfGraph tfGraph, TfGraphInfo info, int opset) {
    this.onnx = onnx;
    this.tfGraph = tfGraph;
    this.info = info;
    this.opset = opset;
  }

  /** The ONNX graph under construction. */
  public OnnxGraphContext onnx() {
    return onnx;
  }

  /** Target opset of the default ONNX domain. */
  public int opset() {
    return opset;
  }

  /** The name of the TF graph being converted. */
  public String graphName() {
    return tfGraph.name();
  }

  /** Records that TF output {@code ref} is ONNX tensor {@code onnxName}. */
  public void bind(TfRef ref, String onnxName) {
    names.put(ref, onnxName);
  }

  /** The ONNX tensor of TF output {@code ref}; it must have been converted. */
  public String name(TfRef ref) {
    String n = names.get(ref);
    if (n == null) {
      throw new IllegalStateException("graph " + graphName() + ": TF output " + ref + " not converted yet");
    }
    return n;
  }

  /** The TF node that produces {@code ref}. */
  public TfNode producer(TfRef ref) {
    return tfGraph.node(ref.node());
  }

  /** The ONNX tensor of data input {@code i} of {@code node}. */
  public String input(TfNode node, int i) {
    if (i >= node.inputs().size()) {
      throw fail(node, "expected at least " + (i + 1) + " inputs, has " + node.inputs().size());
    }
    return name(node.input(i));
  }

  /** The constant value of {@code ref}, when it is an initializer. */
  public Optional<ConstTensor> constant(TfRef ref) {
    return onnx.constantValue(name(ref));
  }

  /** The constant value of input {@code i}; fails naming the node when it is not constant. */
  public ConstTensor requireConstant(TfNode node, int i, String what) {
    return constant(node.input(i)).orElseThrow(() -> fail(node, what + " (input " + i + ") must be a constant"));
  }

  /** Integer values of constant input {@code i}. */
  public long[] requireLongs(TfNode node, int i, String what) {
    ConstTensor c = requireConstant(node, i, what);
    if (!c.isInteger()) throw fail(node, what + " must be int32 or int64");
    return c.longs();
  }

  /** TF static info of {@code ref}. */
  public TfGraphInfo.OutputInfo tfInfo(TfRef ref) {
    return info.get(ref);
  }

  /** ONNX element type of TF output {@code ref}. */
  public int elemType(TfRef ref) {
    return TfTypes.onnxElemType(info.get(ref).type(), "graph " + graphName() + ", tensor " + ref);
  }

  /** ONNX element type of data input {@code i} of {@code node}. */
  public int inputType(TfNode node, int i) {
    return elemType(node.input(i));
  }

  /** Static rank of input {@code i}; fails naming the node if TF does not know it. */
  public int rank(TfNode node, int i) {
    long[] dims = info.get(node.input(i)).dims();
    if (dims == null) throw fail(node, "input " + i + " needs a statically known rank");
    return dims.length;
  }

  /** Static dims of input {@code i} (-1 for unknown); fails if the rank is unknown. */
  public long[] dims(TfNode node, int i) {
    rank(node, i);
    return info.get(node.input(i)).dims();
  }

  /**
   * Input {@code i} as an INT64 tensor: constants become INT64 initializers, other tensors get a Cast. ONNX
   * takes int64 for shapes, indices, k, starts/ends/axes where TF often uses int32.
   */
  public String int64Input(TfNode node, int i) {
    Optional<ConstTensor> c = constant(node.input(i));
    if (c.isPresent() && c.get().isInteger()) {
      return onnx.constant(node.name() + "/i64", c.get().toInt64());
    }
    return castTo(input(node, i), inputType(node, i), TensorProto.DataType.INT64_VALUE, node.name());
  }

  /** {@code name} converted from element type {@code from} to {@code to} (no node when equal). */
  public String castTo(String name, int from, int to, String base) {
    if (from == to) return name;
    return onnx.node("Cast").input(name).attr("to", (long) to).output(base + "/cast");
  }

  /** A shared INT64 constant. */
  public String longs(String base, long... values) {
    return onnx.constant(base, ConstTensor.ofLongs(values));
  }

  /** A typed exception naming the node, its op type and the graph. */
  public UnsupportedOpException fail(TfNode node, String problem) {
    return new UnsupportedOpException(graphName(), node.op(), node.name(), problem);
  }

  /** Convenience: a single-output result. */
  public static List<String> one(String name) {
    return List.of(name);
  }
}
