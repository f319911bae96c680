package org.moellava.export.onnx.handlers;

import static org.moellava.export.onnx.handlers.ConversionContext.one;

import java.util.List;
import java.util.Map;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.tf.TfNode;

/**
 * Reductions, ArgMax and Cumsum. ONNX moved the {@code axes} of ReduceMean/Max/Min/Prod from an attribute
 * to an input at opset 18 (ReduceSum at 13), so these handlers are registered per opset range.
 */
final class ReduceHandlers {
  private ReduceHandlers() {}

  private static final Map<String, String> REDUCE = Map.of("Mean", "ReduceMean", "Sum", "ReduceSum",
      "Max", "ReduceMax", "Min", "ReduceMin", "Prod", "ReduceProd");

  static void register(OpHandlerRegistry r) {
    REDUCE.forEach((tf, onnx) -> {
      boolean axesInputSince13 = onnx.equals("ReduceSum");
      r.register(tf, 17, 17, (n, ctx) -> reduce(n, ctx, onnx, axesInputSince13));
      r.register(tf, 18, OpHandlerRegistry.MAX_OPSET, (n, ctx) -> reduce(n, ctx, onnx, true));
    });
    r.register("ArgMax", ReduceHandlers::argMax);
    r.register("Cumsum", ReduceHandlers::cumsum);
  }

  private static List<String> reduce(TfNode n, ConversionContext ctx, String onnxOp, boolean axesAsInput) {
    long[] axes = ctx.requireLongs(n, 1, "reduction axes");
    if (axes.length == 0) {
      return one(ctx.input(n, 0)); // TF reduces nothing for empty axes; ONNX would reduce everything
    }
    long keep = n.boolAttr("keep_dims", false) ? 1 : 0;
    var node = ctx.onnx().node(onnxOp).input(ctx.input(n, 0));
    if (axesAsInput) {
      node.input(ctx.longs(n.name() + "/axes", axes));
    } else {
      node.attr("axes", axes);
    }
    return one(node.attr("keepdims", keep).output(n.name()));
  }

  private static List<String> argMax(TfNode n, ConversionContext ctx) {
    long[] axis = ctx.requireLongs(n, 1, "ArgMax dimension");
    if (axis.length != 1) throw ctx.fail(n, "ArgMax dimension must be a scalar");
    // ONNX ArgMax picks the first maximal index by default (select_last_index=0), like TF.
    String arg = ctx.onnx().node("ArgMax").input(ctx.input(n, 0)).attr("axis", axis[0]).attr("keepdims", 0L)
        .output(n.name() + "/i64");
    int outType = n.typeAttr("output_type").map(t -> t.getNumber() == 3 ? TensorProto.DataType.INT32_VALUE
        : TensorProto.DataType.INT64_VALUE).orElse(TensorProto.DataType.INT64_VALUE);
    return one(ctx.castTo(arg, TensorProto.DataType.INT64_VALUE, outType, n.name()));
  }

  private static List<String> cumsum(TfNode n, ConversionContext ctx) {
    long[] axis = ctx.requireLongs(n, 1, "Cumsum axis");
    if (axis.length != 1) throw ctx.fail(n, "Cumsum axis must be a scalar");
    String axisName = ctx.onnx().constant(n.name() + "/axis",
        org.moellava.export.onnx.graph.ConstTensor.scalarLong(axis[0]));
    return one(ctx.onnx().node("CumSum").inputs(ctx.input(n, 0), axisName)
        .attr("exclusive", n.boolAttr("exclusive", false) ? 1L : 0L)
        .attr("reverse", n.boolAttr("reverse", false) ? 1L : 0L).output(n.name()));
  }
}
