package org.moellava.export.quant;

import java.util.ArrayList;
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
 * {@code --quantize-embeddings}: rewrites the token-embedding lookup {@code Gather(E [V, D], ids, axis 0)} of a
 * converted model into ONNX Runtime's {@code com.microsoft.GatherBlockQuantized} (CPU kernel, ONNX Runtime 1.29:
 * {@code T1} uint8 with {@code bits} 4 or 8, {@code gather_axis} 0, {@code quantize_axis} the last axis). Each row
 * (token) of {@code E} is cut into blocks of {@code blockSize} consecutive elements of D and stored exactly as a
 * {@code MatMulNBits} weight with {@code N = V} and {@code K = D} ({@link BlockQuantizer}, layout
 * {@link BlockQuantizer.Layout#N_BY_K}): {@code data} uint8 {@code [V, D * bits / 8]} (4 bits: element 2j in the
 * low nibble of byte j), {@code scales} fp32 {@code [V, D / block]}, optional {@code zero_points} uint8
 * {@code [V, ceil(D / block * bits / 8)]} (absent: ONNX Runtime's default {@code 2^(bits-1)}). The lookup returns
 * {@code (q - zero_point) * scale} in fp32 for every gathered row; the image-feature splice after it is unchanged.
 */
public final class GatherBlockQuantizedRewriter {
  /** The op type (domain {@link NBitsNodes#DOMAIN}). */
  public static final String OP = "GatherBlockQuantized";

  private GatherBlockQuantizedRewriter() {}

  /**
   * Quantizes the fp32 initializer {@code table} ({@code [V, D]}) of {@code model} and replaces every
   * {@code Gather(table, indices, axis 0)} reading it. The result's tensors name {@code table} (empty when no node
   * reads it, so the caller can tell a missing lookup). A model that already holds a GatherBlockQuantized is refused.
   */
  public static MatMulNBitsRewriter.Result rewrite(ModelProto model, String table, QuantScheme scheme) {
    GraphProto g = model.getGraph();
    TensorProto source = null;
    for (TensorProto t : g.getInitializerList()) if (t.getName().equals(table)) source = t;
    for (NodeProto n : g.getNodeList()) {
      if (n.getDomain().equals(NBitsNodes.DOMAIN) && n.getOpType().equals(OP)) {
        throw new InvalidInputException("graph " + g.getName() + " is already quantized (node " + n.getName()
            + " is " + OP + "); quantize from the fp32 checkpoint");
      }
    }
    List<NodeProto> nodes = new ArrayList<>();
    QuantizedMatrix q = null;
    NBitsNodes.Names names = NBitsNodes.Names.of(table);
    for (NodeProto n : g.getNodeList()) {
      boolean lookup = n.getDomain().isEmpty() && n.getOpType().equals("Gather") && n.getInputCount() == 2
          && n.getInput(0).equals(table);
      if (!lookup) {
        nodes.add(n);
        continue;
      }
      if (source == null || source.getDimsCount() != 2 || source.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
        throw new InvalidInputException(table + ": the embedding table to quantize must be an fp32 [V, D] "
            + "initializer" + (source == null ? ", but it is not an initializer" : ", got dims " + source.getDimsList()));
      }
      long axis = 0;
      for (AttributeProto a : n.getAttributeList()) if (a.getName().equals("axis")) axis = a.getI();
      if (axis != 0 && axis != -2) {
        throw new InvalidInputException(n.getName() + ": gathers " + table + " along axis " + axis
            + "; only the row lookup (axis 0) can be quantized");
      }
      if (q == null) q = quantize(table, source, scheme);
      nodes.add(node(n.getName(), names, q, n.getInput(1), n.getOutput(0)));
    }
    if (q == null) return new MatMulNBitsRewriter.Result(model, Map.of());
    GraphProto.Builder b = g.toBuilder().clearNode().addAllNode(nodes)
        .addAllInitializer(initializers(names, q));
    GraphProto out = new DeadNodeEliminator().optimize(b.build());
    return new MatMulNBitsRewriter.Result(model.toBuilder().setGraph(out).build(), Map.of(table, scheme.id()));
  }

  /** {@code E [V, D]} quantized along D: a MatMulNBits weight with {@code N = V}, {@code K = D}. */
  static QuantizedMatrix quantize(String name, TensorProto table, QuantScheme scheme) {
    int v = Math.toIntExact(table.getDims(0));
    int d = Math.toIntExact(table.getDims(1));
    return BlockQuantizer.quantize(name, MatMulNBitsRewriter.floats(table), 0, d, v,
        BlockQuantizer.Layout.N_BY_K, scheme);
  }

  /** {@code data [V, D*bits/8]}, {@code scales [V, D/block]}, {@code zero_points [V, ceil(D/block*bits/8)]}. */
  public static List<TensorProto> initializers(NBitsNodes.Names names, QuantizedMatrix q) {
    List<TensorProto> out = new ArrayList<>();
    out.add(NBitsNodes.uint8(names.weight(), q.packed(), q.n(), (long) q.k() * q.scheme().bits() / 8));
    out.add(NBitsNodes.floats(names.scales(), q.scales(), q.n(), q.kBlocks()));
    if (q.zeroPoints() != null) {
      out.add(NBitsNodes.uint8(names.zeroPoints(), q.zeroPoints(), q.n(), q.zeroPointRowBytes()));
    }
    return out;
  }

  /** The GatherBlockQuantized node: {@code indices [...]} (int32 or int64) to {@code [..., D]} fp32. */
  public static NodeProto node(String nodeName, NBitsNodes.Names names, QuantizedMatrix q, String indices,
      String output) {
    NodeProto.Builder b = NodeProto.newBuilder().setName(nodeName).setDomain(NBitsNodes.DOMAIN).setOpType(OP)
        .addInput(names.weight()).addInput(indices).addInput(names.scales());
    if (q.zeroPoints() != null) b.addInput(names.zeroPoints());
    return b.addOutput(output)
        .addAttribute(NBitsNodes.intAttr("bits", q.scheme().bits()))
        .addAttribute(NBitsNodes.intAttr("block_size", q.scheme().blockSize()))
        .addAttribute(NBitsNodes.intAttr("gather_axis", 0))
        .addAttribute(NBitsNodes.intAttr("quantize_axis", 1))
        .build();
  }
}
