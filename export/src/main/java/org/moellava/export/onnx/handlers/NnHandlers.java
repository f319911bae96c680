package org.moellava.export.onnx.handlers;

import static org.moellava.export.onnx.handlers.ConversionContext.one;

import java.util.List;
import java.util.Optional;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.tf.TfNode;

/** Matrix products, convolution, bias, softmax. */
final class NnHandlers {
  private NnHandlers() {}

  static void register(OpHandlerRegistry r) {
    r.register("MatMul", (n, ctx) -> matMul(n, ctx, "transpose_a", "transpose_b"));
    for (String op : List.of("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3")) {
      r.register(op, (n, ctx) -> matMul(n, ctx, "adj_x", "adj_y"));
    }
    r.register("Softmax", (n, ctx) ->
        one(ctx.onnx().node("Softmax").input(ctx.input(n, 0)).attr("axis", -1L).output(n.name())));
    r.register("LogSoftmax", (n, ctx) ->
        one(ctx.onnx().node("LogSoftmax").input(ctx.input(n, 0)).attr("axis", -1L).output(n.name())));
    r.register("BiasAdd", NnHandlers::biasAdd);
    r.register("Conv2D", NnHandlers::conv2d);
    r.register("Einsum", NnHandlers::einsum);
  }

  private static List<String> matMul(TfNode n, ConversionContext ctx, String transA, String transB) {
    String a = n.boolAttr(transA, false) ? transposeLastTwo(n, ctx, 0) : ctx.input(n, 0);
    String b = n.boolAttr(transB, false) ? transposeLastTwo(n, ctx, 1) : ctx.input(n, 1);
    return one(ctx.onnx().node("MatMul").inputs(a, b).output(n.name()));
  }

  /** Input {@code i} with its last two axes swapped; constants are transposed at export time. */
  private static String transposeLastTwo(TfNode n, ConversionContext ctx, int i) {
    int rank = ctx.rank(n, i);
    int[] perm = new int[rank];
    for (int d = 0; d < rank; d++) perm[d] = d;
    perm[rank - 2] = rank - 1;
    perm[rank - 1] = rank - 2;
    return permute(n, ctx, i, perm);
  }

  private static String permute(TfNode n, ConversionContext ctx, int i, int[] perm) {
    Optional<ConstTensor> c = ctx.constant(n.input(i));
    if (c.isPresent()) {
      return ctx.onnx().initializer(n.name() + "/input" + i + "_t", c.get().transpose(perm));
    }
    long[] p = new long[perm.length];
    for (int d = 0; d < perm.length; d++) p[d] = perm[d];
    return ctx.onnx().node("Transpose").input(ctx.input(n, i)).attr("perm", p).output(n.name() + "/t" + i);
  }

  private static List<String> biasAdd(TfNode n, ConversionContext ctx) {
    String bias = ctx.input(n, 1);
    if (n.stringAttr("data_format", "NHWC").equals("NCHW")) {
      int rank = ctx.rank(n, 0);
      long[] axes = new long[rank - 2];
      for (int d = 0; d < axes.length; d++) axes[d] = d + 1;
      bias = ctx.onnx().node("Unsqueeze").inputs(bias, ctx.longs(n.name() + "/axes", axes))
          .output(n.name() + "/bias");
    }
    return one(ctx.onnx().node("Add").inputs(ctx.input(n, 0), bias).output(n.name()));
  }

  /**
   * Conv2D. ONNX Conv is NCHW with an [out, in, kh, kw] kernel; a NHWC TF conv becomes
   * Transpose(NHWC->NCHW), Conv, Transpose(NCHW->NHWC). An input that the graph itself transposed from NCHW
   * loses both transposes in the optimiser.
   */
  private static List<String> conv2d(TfNode n, ConversionContext ctx) {
    boolean nhwc = !n.stringAttr("data_format", "NHWC").equals("NCHW");
    long[] strides = spatial(n.intsAttr("strides"), nhwc, n, ctx, "strides");
    long[] dilations = n.intsAttr("dilations").length == 0 ? new long[] {1, 1}
        : spatial(n.intsAttr("dilations"), nhwc, n, ctx, "dilations");
    String kernel = permute(n, ctx, 1, new int[] {3, 2, 0, 1}); // [kh, kw, in, out] -> [out, in, kh, kw]
    var o = ctx.onnx();
    String x = nhwc ? o.node("Transpose").input(ctx.input(n, 0)).attr("perm", new long[] {0, 3, 1, 2})
        .output(n.name() + "/nchw") : ctx.input(n, 0);
    var conv = o.node("Conv").inputs(x, kernel).attr("strides", strides).attr("dilations", dilations);
    String padding = n.stringAttr("padding", "VALID");
    switch (padding) {
      case "VALID" -> conv.attr("pads", new long[] {0, 0, 0, 0});
      case "SAME" -> conv.attr("auto_pad", "SAME_UPPER"); // TF puts the odd pixel at the end
      case "EXPLICIT" -> {
        long[] p = n.intsAttr("explicit_paddings"); // (before, after) per dim in data_format order
        int h = nhwc ? 1 : 2;
        int w = nhwc ? 2 : 3;
        conv.attr("pads", new long[] {p[2 * h], p[2 * w], p[2 * h + 1], p[2 * w + 1]});
      }
      default -> throw ctx.fail(n, "padding " + padding);
    }
    long[] inDims = ctx.dims(n, 0);
    long[] kDims = ctx.dims(n, 1);
    long channels = inDims[nhwc ? 3 : 1];
    if (channels > 0 && kDims[2] > 0 && channels != kDims[2]) {
      conv.attr("group", channels / kDims[2]);
    }
    String y = conv.output(n.name() + (nhwc ? "/conv" : ""));
    if (!nhwc) return one(y);
    return one(o.node("Transpose").input(y).attr("perm", new long[] {0, 2, 3, 1}).output(n.name()));
  }

  private static long[] spatial(long[] v, boolean nhwc, TfNode n, ConversionContext ctx, String what) {
    if (v.length != 4) throw ctx.fail(n, what + " must have 4 entries");
    long batch = v[0];
    long channel = nhwc ? v[3] : v[1];
    if (batch != 1 || channel != 1) throw ctx.fail(n, what + " over batch or channels");
    return nhwc ? new long[] {v[1], v[2]} : new long[] {v[2], v[3]};
  }

  private static List<String> einsum(TfNode n, ConversionContext ctx) {
    var node = ctx.onnx().node("Einsum").attr("equation", n.stringAttr("equation", ""));
    for (int i = 0; i < n.inputs().size(); i++) node.input(ctx.input(n, i));
    return one(node.output(n.name()));
  }
}
