package org.moellava.export.precision;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/**
 * Turns an fp32 model into an fp16 one whose boundary stays fp32: float inputs are cast to fp16 on entry and float
 * outputs back to fp32 on exit.
 *
 * <p>A node computes in fp16 when it reads an fp16 activation or a large float weight (at least
 * {@value #WEIGHT_ELEMENTS} elements), unless it reads a router kernel: the router MatMul, and everything computed
 * from its logits alone (softmax, top-k, routing weights), stays fp32, as do computations from integer inputs and
 * small constants alone (rotary angles, mask biases). Where an fp32 tensor meets an fp16 node a Cast is inserted (a
 * weight gets an fp16 copy), and the other way round. Weights only fp32 nodes read stay fp32 (the router kernels).
 * Scatters with a reduction run in fp32 ({@link #FP32_OPS}).
 *
 * <p>Normalisation statistics are fp32 from the square on: the {@code Mul(x, x)} (or {@code Pow}) that a
 * {@code ReduceMean}/{@code ReduceSum} averages computes in fp32, as Hugging Face's {@code LlamaRMSNorm} upcasts
 * before {@code pow(2).mean()}. In fp16 a square of a small activation is subnormal or zero (below {@code 6.1e-5}
 * it keeps fewer bits, {@code |x| < 2.4e-4} squares to 0). On {@code small} this changed no check measurably: the
 * 0.7 % error its fp16 decoder showed came from ONNX Runtime's fused fp16 {@code Gemm}
 * ({@code OrtSessions.FP16_CPU_DISABLED_OPTIMIZER}); it keeps the statistics exact where activations are small.
 */
public final class Fp16Converter {
  /** Float initializers of at least this many elements are weights, stored in fp16 where fp16 nodes read them. */
  static final long WEIGHT_ELEMENTS = 1024;

  /**
   * Ops that compute in fp32 even on fp16 data: ONNX Runtime's CPU ScatterND has no fp16 kernel with
   * {@code reduction=add} (the MoE dispatch's segment sum), which also accumulates better in fp32; reductions
   * (RMSNorm, LayerNorm statistics) and softmax accumulate in fp32 as fp16 inference kernels do.
   */
  static final Set<String> FP32_OPS = Set.of("ScatterND", "ScatterElements", "ReduceMean", "ReduceSum", "Softmax",
      "LogSoftmax");

  /** Largest finite binary16 value. */
  static final float HALF_MAX = 65504f;
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  private static final int HALF = TensorProto.DataType.FLOAT16_VALUE;
  private static final int INT64 = TensorProto.DataType.INT64_VALUE;
  private static final int BOOL = TensorProto.DataType.BOOL_VALUE;

  private final GraphProto graph;
  private final Set<String> fp32Weights;
  private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
  private final Map<String, Integer> types = new HashMap<>();
  private final Set<String> halfTensors = new HashSet<>();
  private final Map<String, String> halfVersion = new HashMap<>();
  private final Map<String, String> floatVersion = new HashMap<>();
  private final List<TensorProto> newInitializers = new ArrayList<>();
  private final List<NodeProto> nodes = new ArrayList<>();
  /** Outputs of squares that a reduction averages: computed in fp32 ({@link #statisticsSquares}). */
  private final Set<String> statisticsSquares;

  private final org.moellava.export.onnx.io.InitializerSpill spill;

  private Fp16Converter(GraphProto graph, Set<String> fp32Weights, org.moellava.export.onnx.io.InitializerSpill spill) {
    this.graph = graph;
    this.fp32Weights = fp32Weights;
    this.spill = spill;
    this.statisticsSquares = statisticsSquares(graph);
  }

  /** The outputs of {@code Mul(x, x)} and {@code Pow(x, c)} nodes read by a {@code ReduceMean} or {@code ReduceSum}. */
  static Set<String> statisticsSquares(GraphProto graph) {
    Set<String> reduced = new HashSet<>();
    for (NodeProto n : graph.getNodeList()) {
      if ((n.getOpType().equals("ReduceMean") || n.getOpType().equals("ReduceSum")) && n.getInputCount() > 0) {
        reduced.add(n.getInput(0));
      }
    }
    Set<String> out = new HashSet<>();
    for (NodeProto n : graph.getNodeList()) {
      if (!n.getDomain().isEmpty() || n.getOutputCount() != 1 || !reduced.contains(n.getOutput(0))) continue;
      boolean square = n.getOpType().equals("Mul") && n.getInputCount() == 2 && n.getInput(0).equals(n.getInput(1));
      if (square || n.getOpType().equals("Pow")) out.add(n.getOutput(0));
    }
    return out;
  }

  /** Converts {@code model}; nodes reading one of {@code fp32Weights} (router kernels) stay fp32. */
  public static ModelProto convert(ModelProto model, Set<String> fp32Weights) {
    return convert(model, fp32Weights, null);
  }

  /**
   * Converts {@code model} narrowing one initializer at a time: with a {@code spill}, each fp16 copy is appended to
   * it as soon as it is made and the graph keeps a mapped view, so the fp32 weights (themselves views of the spill)
   * and their fp16 copies are never on the heap together.
   */
  public static ModelProto convert(ModelProto model, Set<String> fp32Weights,
      org.moellava.export.onnx.io.InitializerSpill spill) {
    return model.toBuilder().setGraph(new Fp16Converter(model.getGraph(), fp32Weights, spill).run()).build();
  }

  private GraphProto run() {
    for (TensorProto t : graph.getInitializerList()) {
      initializers.put(t.getName(), t);
      types.put(t.getName(), t.getDataType());
    }
    for (ValueInfoProto v : graph.getInputList()) types.put(v.getName(), v.getType().getTensorType().getElemType());
    for (NodeProto n : graph.getNodeList()) nodes.add(convertNode(n));
    List<NodeProto> tail = new ArrayList<>();
    Set<String> outputsToFix = new HashSet<>();
    for (ValueInfoProto o : graph.getOutputList()) {
      if (halfTensors.contains(o.getName())) outputsToFix.add(o.getName());
    }
    List<NodeProto> finalNodes = new ArrayList<>();
    for (NodeProto n : nodes) finalNodes.add(renameHalfOutputs(n, outputsToFix));
    for (String o : outputsToFix) tail.add(cast(o + "/fp16", o, FLOAT));
    finalNodes.addAll(tail);

    Set<String> used = new HashSet<>();
    for (NodeProto n : finalNodes) used.addAll(n.getInputList());
    for (ValueInfoProto o : graph.getOutputList()) used.add(o.getName());
    GraphProto.Builder b = graph.toBuilder().clearNode().addAllNode(finalNodes).clearInitializer().clearValueInfo();
    for (TensorProto t : graph.getInitializerList()) if (used.contains(t.getName())) b.addInitializer(t);
    for (TensorProto t : newInitializers) if (used.contains(t.getName())) b.addInitializer(t);
    return b.build();
  }

  private NodeProto convertNode(NodeProto n) {
    boolean half = isHalf(n);
    NodeProto.Builder b = n.toBuilder();
    for (int i = 0; i < n.getInputCount(); i++) {
      String in = n.getInput(i);
      if (in.isEmpty() || !isFloatish(in)) continue;
      boolean inHalf = halfTensors.contains(in);
      if (half && !inHalf) b.setInput(i, toHalf(in));
      else if (!half && inHalf) b.setInput(i, toFloat(in));
    }
    if (half && n.getOpType().equals("Cast") && n.getDomain().isEmpty()) {
      for (int a = 0; a < b.getAttributeCount(); a++) {
        if (b.getAttribute(a).getName().equals("to") && b.getAttribute(a).getI() == FLOAT) {
          b.setAttribute(a, b.getAttribute(a).toBuilder().setI(HALF));
        }
      }
    }
    NodeProto out = b.build();
    List<Integer> outTypes = outputTypes(out);
    for (int i = 0; i < out.getOutputCount(); i++) {
      int t = outTypes.get(i);
      types.put(out.getOutput(i), t);
      if (t == HALF) halfTensors.add(out.getOutput(i));
    }
    return out;
  }

  private boolean isHalf(NodeProto n) {
    if (FP32_OPS.contains(n.getOpType())) return false;
    if (n.getOutputCount() == 1 && statisticsSquares.contains(n.getOutput(0))) return false;
    boolean any = false;
    for (String in : n.getInputList()) {
      if (fp32Weights.contains(in)) return false;
      if (halfTensors.contains(in)) any = true;
      TensorProto init = initializers.get(in);
      if (init != null && init.getDataType() == FLOAT && elements(init) >= WEIGHT_ELEMENTS) any = true;
      ValueInfoProto input = graphInput(in);
      if (input != null && input.getType().getTensorType().getElemType() == FLOAT) any = true;
    }
    return any;
  }

  private ValueInfoProto graphInput(String name) {
    for (ValueInfoProto v : graph.getInputList()) if (v.getName().equals(name)) return v;
    return null;
  }

  private boolean isFloatish(String tensor) {
    Integer t = types.get(tensor);
    return t != null && (t == FLOAT || t == HALF);
  }

  private String toHalf(String tensor) {
    return halfVersion.computeIfAbsent(tensor, t -> {
      TensorProto init = initializers.get(t);
      String name = t + "/fp16";
      if (init != null) {
        newInitializers.add(halfCopy(init, name, spill));
      } else {
        nodes.add(NodeProto.newBuilder().setOpType("Clip").setName(t + "/saturate").addInput(t)
            .addInput(scalar(t + "/fp16_min", -HALF_MAX)).addInput(scalar(t + "/fp16_max", HALF_MAX))
            .addOutput(t + "/saturated").build());
        nodes.add(cast(t + "/saturated", name, HALF));
      }
      types.put(name, HALF);
      halfTensors.add(name);
      return name;
    });
  }

  private String toFloat(String tensor) {
    return floatVersion.computeIfAbsent(tensor, t -> {
      String name = t + "/fp32";
      nodes.add(cast(t, name, FLOAT));
      types.put(name, FLOAT);
      return name;
    });
  }

  private List<Integer> outputTypes(NodeProto n) {
    List<Integer> out = new ArrayList<>();
    int first = n.getInputCount() > 0 ? types.getOrDefault(n.getInput(0), FLOAT) : FLOAT;
    int fixed = switch (n.getOpType()) {
      case "Cast" -> (int) intAttr(n, "to");
      case "Shape", "Size", "NonZero", "ArgMax", "ArgMin" -> INT64;
      case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN",
          "IsInf" -> BOOL;
      case "ConstantOfShape", "Constant" -> tensorAttrType(n);
      case "Where" -> types.getOrDefault(n.getInput(1), FLOAT);
      case "OneHot" -> types.getOrDefault(n.getInput(2), FLOAT);
      default -> first;
    };
    for (int i = 0; i < n.getOutputCount(); i++) {
      out.add(n.getOpType().equals("TopK") && i == 1 ? INT64 : fixed);
    }
    return out;
  }

  private static long intAttr(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a.getI();
    return FLOAT;
  }

  private static int tensorAttrType(NodeProto n) {
    for (AttributeProto a : n.getAttributeList()) if (a.hasT()) return a.getT().getDataType();
    return FLOAT;
  }

  /** Renames outputs that leave the graph in fp16 so that a final Cast can give them their fp32 name. */
  private static NodeProto renameHalfOutputs(NodeProto n, Set<String> outputs) {
    NodeProto.Builder b = n.toBuilder();
    for (int i = 0; i < n.getOutputCount(); i++) {
      if (outputs.contains(n.getOutput(i))) b.setOutput(i, n.getOutput(i) + "/fp16");
    }
    for (int i = 0; i < n.getInputCount(); i++) {
      if (outputs.contains(n.getInput(i))) b.setInput(i, n.getInput(i) + "/fp16");
    }
    return b.build();
  }

  private static NodeProto cast(String from, String to, int type) {
    return NodeProto.newBuilder().setOpType("Cast").setName(to).addInput(from).addOutput(to)
        .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
            .setI(type)).build();
  }

  /** A float scalar initializer (fp32 values beyond fp16's range saturate instead of becoming infinite). */
  private String scalar(String name, float value) {
    newInitializers.add(TensorProto.newBuilder().setName(name).setDataType(FLOAT).addFloatData(value).build());
    return name;
  }

  private static long elements(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) n *= d;
    return n;
  }

  private static TensorProto halfCopy(TensorProto t, String name, org.moellava.export.onnx.io.InitializerSpill spill) {
    ByteBuffer src;
    if (!t.getRawData().isEmpty()) {
      src = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    } else {
      src = ByteBuffer.allocate(t.getFloatDataCount() * 4).order(ByteOrder.LITTLE_ENDIAN);
      t.getFloatDataList().forEach(src::putFloat);
      src.flip();
    }
    int count = src.remaining() / 4;
    com.google.protobuf.ByteString raw;
    if (spill != null) { // narrowed straight into the spill, 4 MiB at a time: no whole fp16 copy on the heap
      raw = spill.storeChunked(2L * count, chunk -> {
        while (chunk.hasRemaining()) chunk.putShort(half(src.getFloat()));
      });
    } else {
      ByteBuffer dst = ByteBuffer.allocate(count * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) dst.putShort(half(src.getFloat()));
      raw = com.google.protobuf.UnsafeByteOperations.unsafeWrap(dst.array()); // dst is not kept
    }
    return TensorProto.newBuilder().setName(name).addAllDims(t.getDimsList()).setDataType(HALF).setRawData(raw)
        .build();
  }

  /** {@code v} as binary16, saturating at {@link #HALF_MAX} instead of becoming infinite. */
  private static short half(float v) {
    return HalfFloat.fromFloat(Math.max(-HALF_MAX, Math.min(HALF_MAX, v)));
  }
}
