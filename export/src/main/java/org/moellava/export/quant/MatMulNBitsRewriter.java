package org.moellava.export.quant;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
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
 * Rewrites a converted model so that the MatMuls reading a quantization target become
 * {@code com.microsoft.MatMulNBits}, tensor by tensor (only one matrix's codes are built at a time; the fp32
 * initializers are dropped once nothing reads them):
 *
 * <ul>
 *   <li>a dense linear: {@code MatMul(A [M, K], W)} with {@code W [K, N]} an fp32 initializer in
 *       {@link QuantTargets#dense};
 *   <li>an expert of the standard sparse dispatch: the converter unstacks {@code W [E, K, N]} with
 *       {@code Split(axis 0) -> Squeeze(axes [0])}, and expert e's MatMul reads the e-th squeezed piece; each piece
 *       becomes its own MatMulNBits (initializers {@code W/e/qweight ...}), so each expert still computes only the
 *       tokens routed to it (an expert without tokens runs MatMulNBits on {@code A [0, K]}, which ONNX Runtime
 *       accepts).
 * </ul>
 *
 * A model that already holds MatMulNBits or QMoE nodes is refused.
 */
public final class MatMulNBitsRewriter {
  private final QuantScheme scheme;
  private final QuantTargets targets;
  private final Map<String, TensorProto> initializers = new HashMap<>();
  private final Map<String, NodeProto> producers = new HashMap<>();
  private final Map<String, String> quantized = new LinkedHashMap<>();
  /** Per stacked expert target, the experts quantized so far. */
  private final Map<String, java.util.BitSet> expertsDone = new HashMap<>();
  private final List<TensorProto> added = new ArrayList<>();

  /**
   * The rewritten model and what was quantized.
   *
   * @param tensors quantized variable (a stacked expert tensor once all its experts are) to scheme id
   */
  public record Result(ModelProto model, Map<String, String> tensors) {}

  private MatMulNBitsRewriter(QuantScheme scheme, QuantTargets targets) {
    this.scheme = scheme;
    this.targets = targets;
  }

  /** Quantizes the targets {@code model} reads. */
  public static Result rewrite(ModelProto model, QuantTargets targets, QuantScheme scheme) {
    return new MatMulNBitsRewriter(scheme, targets).run(model);
  }

  /** Refuses a model that already holds quantized nodes. */
  public static void requireUnquantized(ModelProto model, String what) {
    for (NodeProto n : model.getGraph().getNodeList()) {
      if (n.getDomain().equals(NBitsNodes.DOMAIN)
          && (n.getOpType().equals(NBitsNodes.MATMUL_NBITS) || n.getOpType().equals("QMoE")
              || n.getOpType().equals(GatherBlockQuantizedRewriter.OP))) {
        throw new InvalidInputException(what + " is already quantized (node " + n.getName() + " is "
            + n.getOpType() + "); quantize from the fp32 checkpoint");
      }
    }
  }

  private Result run(ModelProto model) {
    GraphProto g = model.getGraph();
    requireUnquantized(model, "graph " + g.getName());
    for (TensorProto t : g.getInitializerList()) initializers.put(t.getName(), t);
    for (NodeProto n : g.getNodeList()) for (String o : n.getOutputList()) producers.put(o, n);
    List<NodeProto> nodes = new ArrayList<>();
    for (NodeProto n : g.getNodeList()) nodes.add(rewrite(n));
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
      tensors.put(stacked, scheme.id());
    });
    return new Result(model.toBuilder().setGraph(out).build(), tensors);
  }

  private NodeProto rewrite(NodeProto n) {
    if (!n.getOpType().equals("MatMul") || !n.getDomain().isEmpty() || n.getInputCount() != 2) return n;
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
    if (e == null) return n;
    TensorProto stacked = initializers.get(e.stacked());
    int k = (int) stacked.getDims(1);
    int cols = (int) stacked.getDims(2);
    expertsDone.computeIfAbsent(e.stacked(), x -> new java.util.BitSet()).set(e.index());
    return replace(n, e.stacked() + "#" + e.index(), stacked, e.index() * k * cols, k, cols);
  }

  private NodeProto replace(NodeProto n, String name, TensorProto source, int offset, int k, int cols) {
    if (quantized.containsKey(name)) {
      throw new InvalidInputException(name + ": read by more than one MatMul; cannot quantize it once");
    }
    QuantizedMatrix q = BlockQuantizer.quantize(name, floats(source), offset, k, cols, scheme);
    NBitsNodes.Names names = NBitsNodes.Names.of(name.replace('#', '/'));
    added.addAll(NBitsNodes.initializers(names, q));
    quantized.put(name, scheme.id());
    return NBitsNodes.matMul(n.getName(), n.getInput(0), names, q, n.getOutput(0));
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
