package org.moellava.export.quant;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.optimize.DeadNodeEliminator;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * Finds the MatMuls of a converted model that read a quantization target as their weight {@code B} and hands each
 * weight matrix {@code W [K, N]} to an {@link Emitter}, which replaces the MatMul with its quantized form
 * ({@link MatMulNBitsRewriter}: {@code com.microsoft.MatMulNBits}; {@link QdqRewriter}: {@code DequantizeLinear ->
 * MatMul}). Tensor by tensor: only one matrix's codes are built at a time, and the fp32 initializers are dropped once
 * nothing reads them. The targets:
 *
 * <ul>
 *   <li>a dense linear: {@code MatMul(A [M, K], W)} with {@code W [K, N]} an fp32 initializer in
 *       {@link QuantTargets#dense};
 *   <li>an expert of the standard sparse dispatch: the converter unstacks {@code W [E, K, N]} with
 *       {@code Split(axis 0) -> Squeeze(axes [0])}, and expert e's MatMul reads the e-th squeezed piece; each piece is
 *       emitted on its own (named {@code W#e}), so each expert still computes only the tokens routed to it.
 * </ul>
 *
 * A model that already holds quantized nodes is refused.
 */
final class QuantTargetWalker {
  /** Builds the quantized form of one MatMul. */
  interface Emitter {
    /**
     * The nodes replacing {@code matMul}, whose weight is {@code W [K, N]} at element {@code offset} of
     * {@code source} (row-major); the new initializers go to {@code initializers}.
     *
     * @param name the weight's name: the initializer, or {@code stacked#e} for expert e of a stacked target
     */
    List<NodeProto> emit(NodeProto matMul, String name, FloatBuffer source, int offset, int k, int n,
        List<TensorProto> initializers);
  }

  private final QuantTargets targets;
  private final String schemeId;
  private final Emitter emitter;
  private final Map<String, TensorProto> initializers = new HashMap<>();
  private final Map<String, NodeProto> producers = new HashMap<>();
  private final Map<String, String> quantized = new LinkedHashMap<>();
  /** Per stacked expert target, the experts quantized so far. */
  private final Map<String, BitSet> expertsDone = new HashMap<>();
  private final List<TensorProto> added = new ArrayList<>();

  private QuantTargetWalker(QuantTargets targets, String schemeId, Emitter emitter) {
    this.targets = targets;
    this.schemeId = schemeId;
    this.emitter = emitter;
  }

  /** Rewrites every MatMul of {@code model} reading a target; the result names each target with {@code schemeId}. */
  static MatMulNBitsRewriter.Result rewrite(ModelProto model, QuantTargets targets, String schemeId,
      Emitter emitter) {
    return new QuantTargetWalker(targets, schemeId, emitter).run(model);
  }

  private MatMulNBitsRewriter.Result run(ModelProto model) {
    GraphProto g = model.getGraph();
    MatMulNBitsRewriter.requireUnquantized(model, "graph " + g.getName());
    for (TensorProto t : g.getInitializerList()) initializers.put(t.getName(), t);
    for (NodeProto n : g.getNodeList()) for (String o : n.getOutputList()) producers.put(o, n);
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) nodes.addAll(rewrite(n));
    GraphProto.Builder b = g.toBuilder().clearNode().addAllNode(nodes).addAllInitializer(added);
    GraphProto out = new DeadNodeEliminator().optimize(b.build());
    Map<String, String> tensors = new LinkedHashMap<>();
    quantized.forEach((name, id) -> {
      if (!name.contains("#")) tensors.put(name, id);
    });
    expertsDone.forEach((stacked, done) -> {
      long e = initializers.get(stacked).getDims(0);
      if (done.cardinality() != e) {
        throw new InvalidInputException(stacked + ": only " + done.cardinality() + " of " + e + " experts are read "
            + "by a MatMul of the sparse dispatch; cannot quantize it");
      }
      tensors.put(stacked, schemeId);
    });
    return new MatMulNBitsRewriter.Result(model.toBuilder().setGraph(out).build(), tensors);
  }

  private List<NodeProto> rewrite(NodeProto n) {
    if (!n.getOpType().equals("MatMul") || !n.getDomain().isEmpty() || n.getInputCount() != 2) return List.of(n);
    String b = n.getInput(1);
    TensorProto dense = initializers.get(b);
    if (dense != null && targets.dense().contains(b)) {
      if (dense.getDimsCount() != 2 || dense.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
        throw new InvalidInputException(b + ": a quantization target must be an fp32 [K, N] matrix, got dims "
            + dense.getDimsList());
      }
      return replace(n, b, dense, 0, (int) dense.getDims(0), (int) dense.getDims(1));
    }
    Expert e = expertPiece(b);
    if (e == null) return List.of(n);
    TensorProto stacked = initializers.get(e.stacked());
    int k = (int) stacked.getDims(1);
    int cols = (int) stacked.getDims(2);
    expertsDone.computeIfAbsent(e.stacked(), x -> new BitSet()).set(e.index());
    return replace(n, e.stacked() + "#" + e.index(), stacked, e.index() * k * cols, k, cols);
  }

  private List<NodeProto> replace(NodeProto n, String name, TensorProto source, int offset, int k, int cols) {
    if (quantized.containsKey(name)) {
      throw new InvalidInputException(name + ": read by more than one MatMul; cannot quantize it once");
    }
    List<NodeProto> out = emitter.emit(n, name, floats(source), offset, k, cols, added);
    quantized.put(name, schemeId);
    return out;
  }

  /** Expert {@code index} of the stacked target {@code stacked}. */
  private record Expert(String stacked, int index) {}

  /** {@code Squeeze(Split(W, axis 0)[e], axes [0])} with {@code W [E, K, N]} an expert target, else null. */
  private Expert expertPiece(String tensor) {
    NodeProto squeeze = producers.get(tensor);
    if (squeeze == null || !squeeze.getOpType().equals("Squeeze") || !isAxisZero(squeeze)) return null;
    NodeProto split = producers.get(squeeze.getInput(0));
    if (split == null || !split.getOpType().equals("Split") || split.getInputCount() != 1) return null;
    String stacked = split.getInput(0);
    TensorProto w = initializers.get(stacked);
    if (w == null || !targets.experts().contains(stacked) || w.getDimsCount() != 3
        || split.getOutputCount() != w.getDims(0) || intAttr(split, "axis", 0) != 0) {
      return null;
    }
    return new Expert(stacked, split.getOutputList().indexOf(squeeze.getInput(0)));
  }

  /** Whether {@code squeeze} removes exactly axis 0 (its axes input an int64 initializer holding {@code [0]}). */
  private boolean isAxisZero(NodeProto squeeze) {
    if (squeeze.getInputCount() != 2) return false;
    TensorProto axes = initializers.get(squeeze.getInput(1));
    if (axes == null || axes.getDataType() != TensorProto.DataType.INT64_VALUE) return false;
    if (axes.getRawData().isEmpty()) return axes.getInt64DataCount() == 1 && axes.getInt64Data(0) == 0;
    java.nio.ByteBuffer raw = axes.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    return raw.remaining() == 8 && raw.getLong(0) == 0;
  }

  private static long intAttr(NodeProto n, String name, long fallback) {
    for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a.getI();
    return fallback;
  }

  /** The float elements of an initializer, without copying raw data. */
  static FloatBuffer floats(TensorProto t) {
    if (!t.getRawData().isEmpty()) {
      return t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    }
    float[] f = new float[t.getFloatDataCount()];
    for (int i = 0; i < f.length; i++) f[i] = t.getFloatData(i);
    return FloatBuffer.wrap(f);
  }
}
