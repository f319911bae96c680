package org.moellava.export.onnx.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.TensorShapeProto;
import org.moellava.export.onnx.proto.TypeProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/**
 * Owns one ONNX graph under construction: its nodes, initializers, inputs and outputs, and the set of
 * names in use. Hands out unique names and builds nodes fluently:
 *
 * <pre>{@code
 * String y = ctx.node("MatMul").input(x).input(w).output("dense/out");
 * }</pre>
 *
 * Initializers are kept as {@link ConstTensor}s so that handlers can read constant values while converting.
 */
public final class OnnxGraphContext {
  private final String graphName;
  private final List<NodeProto> nodes = new ArrayList<>();
  private final Map<String, ConstTensor> initializers = new HashMap<>();
  private final List<String> initializerOrder = new ArrayList<>();
  private final List<ValueInfoProto> inputs = new ArrayList<>();
  private final List<ValueInfoProto> outputs = new ArrayList<>();
  private final Set<String> usedNames = new HashSet<>();
  private final Map<ConstTensor, String> smallConstants = new HashMap<>();
  private final org.moellava.export.onnx.io.InitializerSpill spill;
  /** Initializers whose bytes went to {@link #spill}: name to (type, shape) and a mapped view of the bytes. */
  private final Map<String, Spilled> spilled = new HashMap<>();

  /** An initializer held in the spill file: no bytes on the heap. */
  private record Spilled(int elemType, long[] shape, com.google.protobuf.ByteString data) {}

  /** Initializers of at least this many bytes go to the spill file as they are added (when there is one). */
  public static final int SPILL_BYTES = 4096;

  /** A context for a graph named {@code graphName}. */
  public OnnxGraphContext(String graphName) {
    this(graphName, null);
  }

  /**
   * A context whose initializers of at least {@value #SPILL_BYTES} bytes are written to {@code spill} as soon as
   * they are added (the weights of a model too large to hold twice); null keeps every initializer on the heap.
   */
  public OnnxGraphContext(String graphName, org.moellava.export.onnx.io.InitializerSpill spill) {
    this.graphName = graphName;
    this.spill = spill;
  }

  /** The graph's name. */
  public String graphName() {
    return graphName;
  }

  /** A name not used yet in this graph, derived from {@code base}; the name is reserved. */
  public String uniqueName(String base) {
    String clean = base.isEmpty() ? "t" : base;
    String name = clean;
    for (int i = 1; usedNames.contains(name); i++) {
      name = clean + "__" + i;
    }
    usedNames.add(name);
    return name;
  }

  /** Reserves {@code name} exactly; fails if it is taken. */
  public String reserveName(String name) {
    if (!usedNames.add(name)) {
      throw new IllegalArgumentException("ONNX name already used in graph " + graphName + ": " + name);
    }
    return name;
  }

  /** Starts a node of the default domain. */
  public NodeBuilder node(String opType) {
    return new NodeBuilder(opType, "");
  }

  /** Starts a node of a custom {@code domain} (e.g. com.microsoft). */
  public NodeBuilder node(String domain, String opType) {
    return new NodeBuilder(opType, domain);
  }

  /** Adds an initializer under a unique name derived from {@code base}; returns the name. */
  public String initializer(String base, ConstTensor value) {
    String name = uniqueName(base);
    if (spill != null && value.data().length >= SPILL_BYTES) {
      spilled.put(name, new Spilled(value.elemType(), value.shape(), spill.store(java.nio.ByteBuffer.wrap(value.data()))));
    } else {
      initializers.put(name, value);
    }
    initializerOrder.add(name);
    return name;
  }

  /**
   * Adds a FLOAT initializer of {@code shape} from {@code values}; with a spill file and at least
   * {@value #SPILL_BYTES} bytes, the floats are written to it in chunks, never copied whole onto the heap.
   */
  public String floatInitializer(String base, long[] shape, float[] values) {
    if (spill == null || 4L * values.length < SPILL_BYTES) return initializer(base, ConstTensor.ofFloats(shape, values));
    String name = uniqueName(base);
    spilled.put(name, new Spilled(TensorProto.DataType.FLOAT_VALUE, shape.clone(), spill.storeFloats(values)));
    initializerOrder.add(name);
    return name;
  }

  /**
   * An initializer for a small constant (at most 64 elements), shared between all uses of the same value.
   */
  public String constant(String base, ConstTensor value) {
    if (value.numElements() > 64) {
      return initializer(base, value);
    }
    return smallConstants.computeIfAbsent(value, v -> initializer(base, v));
  }

  /** The constant value of ONNX tensor {@code name} if it is an initializer. */
  public Optional<ConstTensor> constantValue(String name) {
    Spilled s = spilled.get(name);
    if (s != null) return Optional.of(new ConstTensor(s.elemType(), s.shape(), s.data().toByteArray())); // a copy
    return Optional.ofNullable(initializers.get(name));
  }

  /** Adds a graph input with the given element type and dims (each a Long value or a String dim_param). */
  public void addInput(String name, int elemType, List<Object> dims) {
    inputs.add(valueInfo(name, elemType, dims));
  }

  /** Adds a graph output; {@code dims} null leaves the shape unspecified. */
  public void addOutput(String name, int elemType, List<Object> dims) {
    outputs.add(valueInfo(name, elemType, dims));
  }

  /**
   * A value info; {@code dims} entries are Long (dim_value), String (dim_param) or null (unknown).
   */
  public static ValueInfoProto valueInfo(String name, int elemType, List<Object> dims) {
    TypeProto.Tensor.Builder tensor = TypeProto.Tensor.newBuilder().setElemType(elemType);
    if (dims != null) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (Object d : dims) {
        TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
        if (d instanceof Long v) {
          dim.setDimValue(v);
        } else if (d instanceof String p) {
          dim.setDimParam(p);
        }
        shape.addDim(dim);
      }
      tensor.setShape(shape);
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(tensor)).build();
  }

  /** Builds the graph: nodes in insertion order, then initializers, inputs and outputs. */
  public GraphProto build() {
    GraphProto.Builder g = GraphProto.newBuilder().setName(graphName).addAllNode(nodes)
        .addAllInput(inputs).addAllOutput(outputs);
    for (String name : initializerOrder) {
      Spilled s = spilled.get(name);
      if (s == null) {
        g.addInitializer(initializers.get(name).toOnnx(name));
        continue;
      }
      TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(s.elemType());
      for (long d : s.shape()) t.addDims(d);
      g.addInitializer(t.setRawData(s.data()));
    }
    return g.build();
  }

  /** Fluent builder for one node; {@link #output} or {@link #outputs} adds it to the graph. */
  public final class NodeBuilder {
    private final NodeProto.Builder node;

    private NodeBuilder(String opType, String domain) {
      node = NodeProto.newBuilder().setOpType(opType);
      if (!domain.isEmpty()) node.setDomain(domain);
    }

    /** Appends an input by ONNX tensor name ("" for an omitted optional input). */
    public NodeBuilder input(String name) {
      node.addInput(name);
      return this;
    }

    /** Appends several inputs. */
    public NodeBuilder inputs(String... names) {
      for (String n : names) node.addInput(n);
      return this;
    }

    /** Appends a small constant input (shared initializer). */
    public NodeBuilder constInput(String base, ConstTensor value) {
      return input(constant(base, value));
    }

    public NodeBuilder attr(String name, long value) {
      node.addAttribute(AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
          .setI(value));
      return this;
    }

    public NodeBuilder attr(String name, float value) {
      node.addAttribute(AttributeProto.newBuilder().setName(name)
          .setType(AttributeProto.AttributeType.FLOAT).setF(value));
      return this;
    }

    public NodeBuilder attr(String name, String value) {
      node.addAttribute(AttributeProto.newBuilder().setName(name)
          .setType(AttributeProto.AttributeType.STRING)
          .setS(com.google.protobuf.ByteString.copyFromUtf8(value)));
      return this;
    }

    public NodeBuilder attr(String name, long[] values) {
      AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
          .setType(AttributeProto.AttributeType.INTS);
      for (long v : values) a.addInts(v);
      node.addAttribute(a);
      return this;
    }

    public NodeBuilder attr(String name, TensorProto value) {
      node.addAttribute(AttributeProto.newBuilder().setName(name)
          .setType(AttributeProto.AttributeType.TENSOR).setT(value));
      return this;
    }

    /** Adds the node with one output named uniquely after {@code base}; returns the output name. */
    public String output(String base) {
      return outputs(base, 1).get(0);
    }

    /** Adds the node with outputs named exactly {@code names} (already reserved with {@link #reserveName}). */
    public void outputsExactly(String... names) {
      node.addAllOutput(List.of(names)).setName(uniqueName(names[0] + "/" + node.getOpType()));
      nodes.add(node.build());
    }

    /** Adds the node with {@code count} outputs named after {@code base}; returns their names. */
    public List<String> outputs(String base, int count) {
      List<String> names = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        names.add(uniqueName(count == 1 ? base : base + ":" + i));
      }
      node.addAllOutput(names).setName(uniqueName(base + "/" + node.getOpType()));
      nodes.add(node.build());
      return names;
    }
  }
}
