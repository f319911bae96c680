package org.moellava.export.quant;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.export.moe.FusedMoeHandler;
import org.moellava.export.onnx.optimize.DeadNodeEliminator;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.graph.variables.VariableNames;

/**
 * Turns each {@code com.microsoft.MoE} of an {@code ort-fused} model ({@link FusedMoeHandler}: {@code fc1 [E, 2I, D]}
 * SwiGLU gate/up rows interleaved, {@code fc2 [E, D, I]}, both {@code [E, out, in]}) into {@code com.microsoft.QMoE}
 * with the same routing and activation attributes: per expert, {@code fc1} and {@code fc2} are quantized blockwise
 * along their input axis in MatMulNBits' layout ({@code [E, N, K / pack]} codes, {@code [E, N, K / block]} scales,
 * {@code [E, N, K / block / pack]} zero points), {@code expert_weight_bits} and {@code block_size} set. ONNX Runtime
 * 1.29's QMoE has no {@code accuracy_level} attribute (its CPU kernel keeps fp32 activations), so the scheme's level
 * applies to the MatMulNBits nodes only. The router MatMul reading {@code router} of layer j stays fp32 and names the
 * layer whose experts the node holds.
 */
public final class QMoeRewriter {
  /** Attributes of MoE that QMoE takes unchanged. */
  private static final List<String> SHARED_ATTRIBUTES = List.of("k", "activation_type", "activation_alpha",
      "activation_beta", "swiglu_fusion", "swiglu_limit", "normalize_routing_weights", "use_sparse_mixer");

  private QMoeRewriter() {}

  /** Quantizes the experts of every MoE node of {@code model}; the result's tensors name the expert variables. */
  public static MatMulNBitsRewriter.Result rewrite(ModelProto model, QuantScheme scheme) {
    GraphProto g = model.getGraph();
    for (NodeProto n : g.getNodeList()) {
      if (n.getDomain().equals(FusedMoeHandler.DOMAIN) && n.getOpType().equals("QMoE")) {
        throw new InvalidInputException("graph " + g.getName() + " is already quantized (node " + n.getName()
            + " is QMoE); quantize from the fp32 checkpoint");
      }
    }
    Map<String, TensorProto> initializers = new HashMap<>();
    for (TensorProto t : g.getInitializerList()) initializers.put(t.getName(), t);
    Map<String, NodeProto> producers = new HashMap<>();
    for (NodeProto n : g.getNodeList()) for (String o : n.getOutputList()) producers.put(o, n);
    List<NodeProto> nodes = new ArrayList<>();
    List<TensorProto> added = new ArrayList<>();
    Map<String, String> tensors = new LinkedHashMap<>();
    for (NodeProto n : g.getNodeList()) {
      if (!n.getDomain().equals(FusedMoeHandler.DOMAIN) || !n.getOpType().equals("MoE")) {
        nodes.add(n);
        continue;
      }
      int layer = layerOf(n, producers, initializers);
      Stacked fc1 = quantize(n.getName() + "/fc1", initializers.get(n.getInput(2)), scheme);
      Stacked fc2 = quantize(n.getName() + "/fc2", initializers.get(n.getInput(4)), scheme);
      added.addAll(fc1.tensors());
      added.addAll(fc2.tensors());
      NodeProto.Builder q = NodeProto.newBuilder().setName(n.getName()).setDomain(FusedMoeHandler.DOMAIN)
          .setOpType("QMoE").addInput(n.getInput(0)).addInput(n.getInput(1))
          .addInput(fc1.weights()).addInput(fc1.scales()).addInput("")
          .addInput(fc2.weights()).addInput(fc2.scales());
      if (!scheme.symmetric()) {
        q.addInput("").addInput("").addInput("").addInput("").addInput(fc1.zeroPoints()).addInput(fc2.zeroPoints());
      }
      q.addAllOutput(n.getOutputList());
      for (AttributeProto a : n.getAttributeList()) if (SHARED_ATTRIBUTES.contains(a.getName())) q.addAttribute(a);
      q.addAttribute(NBitsNodes.intAttr("expert_weight_bits", scheme.bits()))
          .addAttribute(NBitsNodes.intAttr("block_size", scheme.blockSize()));
      nodes.add(q.build());
      for (String v : List.of(VariableNames.expertsGate(layer), VariableNames.expertsUp(layer),
          VariableNames.expertsDown(layer))) {
        tensors.put(v, scheme.id());
      }
    }
    GraphProto out = new DeadNodeEliminator().optimize(
        g.toBuilder().clearNode().addAllNode(nodes).addAllInitializer(added).build());
    return new MatMulNBitsRewriter.Result(model.toBuilder().setGraph(out).build(), tensors);
  }

  /** The names of one quantized {@code [E, N, K]} tensor's initializers. */
  private record Stacked(String weights, String scales, String zeroPoints, List<TensorProto> tensors) {}

  private static Stacked quantize(String base, TensorProto w, QuantScheme s) {
    if (w == null || w.getDimsCount() != 3 || w.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new InvalidInputException(base + ": the MoE expert weights must be an fp32 [E, N, K] initializer");
    }
    int e = (int) w.getDims(0);
    int n = (int) w.getDims(1);
    int k = (int) w.getDims(2);
    int pack = 8 / s.bits();
    if (!s.symmetric() && k % (s.blockSize() * pack) != 0) {
      throw new InvalidInputException("--block-size " + s.blockSize() + " with zero points needs K=" + k + " of "
          + base + " to be a multiple of " + s.blockSize() * pack + " for com.microsoft.QMoE (nothing was written)");
    }
    ByteArrayOutputStream codes = new ByteArrayOutputStream();
    ByteArrayOutputStream zeros = new ByteArrayOutputStream();
    float[] scales = new float[e * n * (k / s.blockSize())];
    java.nio.FloatBuffer src = MatMulNBitsRewriter.floats(w);
    for (int x = 0; x < e; x++) {
      QuantizedMatrix q = BlockQuantizer.quantize(base, src, x * n * k, k, n, BlockQuantizer.Layout.N_BY_K, s);
      codes.writeBytes(q.packed());
      System.arraycopy(q.scales(), 0, scales, x * q.scales().length, q.scales().length);
      if (q.zeroPoints() != null) zeros.writeBytes(q.zeroPoints());
    }
    List<TensorProto> t = new ArrayList<>();
    t.add(NBitsNodes.uint8(base + "/qweight", codes.toByteArray(), e, n, (long) k / pack));
    t.add(NBitsNodes.floats(base + "/scales", scales, e, n, k / s.blockSize()));
    if (!s.symmetric()) {
      t.add(NBitsNodes.uint8(base + "/zero_points", zeros.toByteArray(), e, n, (long) k / s.blockSize() / pack));
    }
    return new Stacked(base + "/qweight", base + "/scales", base + "/zero_points", t);
  }

  /** The decoder layer whose router computes the node's router logits (input 1). */
  private static int layerOf(NodeProto moe, Map<String, NodeProto> producers, Map<String, TensorProto> inits) {
    NodeProto p = producers.get(moe.getInput(1));
    while (p != null && p.getOpType().equals("Identity")) p = producers.get(p.getInput(0));
    if (p != null && p.getOpType().equals("MatMul")) {
      String kernel = p.getInput(1);
      String suffix = "/mlp/gate/kernel";
      if (kernel.startsWith(VariableNames.LLM + "/layers_") && kernel.endsWith(suffix) && inits.containsKey(kernel)) {
        return Integer.parseInt(kernel.substring((VariableNames.LLM + "/layers_").length(),
            kernel.length() - suffix.length()));
      }
    }
    throw new InvalidInputException("MoE node " + moe.getName() + ": its router logits do not come from a router "
        + "MatMul; cannot name the experts it holds");
  }
}
