package org.moellava.export.onnx.handlers;

import static org.moellava.export.onnx.handlers.ConversionContext.one;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.graph.OnnxGraphContext;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.tf.TfNode;

/** Shape manipulation: Reshape, Transpose, concatenation, stacking, splitting, expansion. */
final class ShapeHandlers {
  private ShapeHandlers() {}

  static void register(OpHandlerRegistry r) {
    r.register("Reshape", ShapeHandlers::reshape);
    r.register("Transpose", ShapeHandlers::transpose);
    r.register("ConcatV2", ShapeHandlers::concat);
    r.register("Pack", ShapeHandlers::pack);
    r.register("Unpack", 17, 17, (n, ctx) -> unpack(n, ctx, false));
    r.register("Unpack", 18, OpHandlerRegistry.MAX_OPSET, (n, ctx) -> unpack(n, ctx, true));
    r.register("Split", 17, 17, (n, ctx) -> split(n, ctx, false));
    r.register("Split", 18, OpHandlerRegistry.MAX_OPSET, (n, ctx) -> split(n, ctx, true));
    r.register("SplitV", ShapeHandlers::splitV);
    r.register("ExpandDims", ShapeHandlers::expandDims);
    r.register("Squeeze", ShapeHandlers::squeeze);
    r.register("Tile", (n, ctx) ->
        one(ctx.onnx().node("Tile").inputs(ctx.input(n, 0), ctx.int64Input(n, 1)).output(n.name())));
    r.register("BroadcastTo", (n, ctx) ->
        one(ctx.onnx().node("Expand").inputs(ctx.input(n, 0), ctx.int64Input(n, 1)).output(n.name())));
    r.register("Fill", (n, ctx) ->
        one(ctx.onnx().node("Expand").inputs(ctx.input(n, 1), ctx.int64Input(n, 0)).output(n.name())));
    r.register("Range", (n, ctx) ->
        one(ctx.onnx().node("Range").inputs(ctx.input(n, 0), ctx.input(n, 1), ctx.input(n, 2))
            .output(n.name())));
    r.register("Shape", ShapeHandlers::shape);
  }

  private static List<String> reshape(TfNode n, ConversionContext ctx) {
    Optional<ConstTensor> shape = ctx.constant(n.input(1));
    // ONNX reads 0 as "copy the input dim" unless allowzero=1; TF 0 means an empty dim.
    boolean hasZero = shape.isPresent() && shape.get().isInteger()
        && Arrays.stream(shape.get().longs()).anyMatch(d -> d == 0);
    var node = ctx.onnx().node("Reshape").inputs(ctx.input(n, 0), ctx.int64Input(n, 1));
    if (hasZero) node.attr("allowzero", 1L);
    return one(node.output(n.name()));
  }

  private static List<String> transpose(TfNode n, ConversionContext ctx) {
    long[] perm = ctx.requireLongs(n, 1, "Transpose perm");
    return one(ctx.onnx().node("Transpose").input(ctx.input(n, 0)).attr("perm", perm).output(n.name()));
  }

  private static List<String> concat(TfNode n, ConversionContext ctx) {
    int count = n.inputs().size() - 1;
    long[] axis = ctx.requireLongs(n, count, "ConcatV2 axis");
    if (count == 1) return one(ctx.input(n, 0));
    var node = ctx.onnx().node("Concat");
    for (int i = 0; i < count; i++) node.input(ctx.input(n, i));
    return one(node.attr("axis", axis[0]).output(n.name()));
  }

  private static List<String> pack(TfNode n, ConversionContext ctx) {
    long axis = n.intAttr("axis", 0);
    String axes = ctx.longs(n.name() + "/axes", axis);
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < n.inputs().size(); i++) {
      parts.add(ctx.onnx().node("Unsqueeze").inputs(ctx.input(n, i), axes).output(n.name() + "/part"));
    }
    if (parts.size() == 1) return parts;
    return one(ctx.onnx().node("Concat").inputs(parts.toArray(String[]::new)).attr("axis", axis)
        .output(n.name()));
  }

  private static List<String> unpack(TfNode n, ConversionContext ctx, boolean numOutputsAttr) {
    int num = (int) n.intAttr("num", 0);
    long axis = n.intAttr("axis", 0);
    List<String> pieces = equalSplit(ctx, n, ctx.input(n, 0), axis, num, numOutputsAttr);
    String axes = ctx.longs(n.name() + "/axes", axis);
    List<String> out = new ArrayList<>();
    for (String p : pieces) {
      out.add(ctx.onnx().node("Squeeze").inputs(p, axes).output(n.name()));
    }
    return out;
  }

  private static List<String> split(TfNode n, ConversionContext ctx, boolean numOutputsAttr) {
    long[] axis = ctx.requireLongs(n, 0, "Split axis");
    int num = (int) n.intAttr("num_split", 1);
    return equalSplit(ctx, n, ctx.input(n, 1), axis[0], num, numOutputsAttr);
  }

  /** Splits {@code value} into {@code num} equal parts along {@code axis}. */
  private static List<String> equalSplit(ConversionContext ctx, TfNode n, String value, long axis, int num,
      boolean numOutputsAttr) {
    if (num == 1) return one(value);
    OnnxGraphContext.NodeBuilder node = ctx.onnx().node("Split").input(value).attr("axis", axis);
    if (numOutputsAttr) node.attr("num_outputs", (long) num);
    return node.outputs(n.name(), num);
  }

  private static List<String> splitV(TfNode n, ConversionContext ctx) {
    long[] sizes = ctx.requireLongs(n, 1, "SplitV size_splits");
    long axis = ctx.requireLongs(n, 2, "SplitV axis")[0];
    int unknown = -1;
    long known = 0;
    for (int i = 0; i < sizes.length; i++) {
      if (sizes[i] < 0) unknown = i;
      else known += sizes[i];
    }
    if (unknown >= 0) {
      long[] dims = ctx.dims(n, 0);
      long dim = dims[(int) (axis < 0 ? axis + dims.length : axis)];
      if (dim < 0) throw ctx.fail(n, "size -1 needs a static size of the split dimension");
      sizes[unknown] = dim - known;
    }
    if (sizes.length == 1) return one(ctx.input(n, 0));
    return ctx.onnx().node("Split").input(ctx.input(n, 0)).input(ctx.longs(n.name() + "/sizes", sizes))
        .attr("axis", axis).outputs(n.name(), sizes.length);
  }

  private static List<String> expandDims(TfNode n, ConversionContext ctx) {
    long[] axis = ctx.requireLongs(n, 1, "ExpandDims axis");
    return one(ctx.onnx().node("Unsqueeze").inputs(ctx.input(n, 0), ctx.longs(n.name() + "/axes", axis))
        .output(n.name()));
  }

  private static List<String> squeeze(TfNode n, ConversionContext ctx) {
    long[] dims = n.intsAttr("squeeze_dims");
    var node = ctx.onnx().node("Squeeze").input(ctx.input(n, 0));
    if (dims.length > 0) node.input(ctx.longs(n.name() + "/axes", dims));
    return one(node.output(n.name()));
  }

  private static List<String> shape(TfNode n, ConversionContext ctx) {
    String s = ctx.onnx().node("Shape").input(ctx.input(n, 0)).output(n.name() + "/i64");
    int outType = n.typeAttr("out_type").map(t -> t.getNumber() == 9 ? TensorProto.DataType.INT64_VALUE
        : TensorProto.DataType.INT32_VALUE).orElse(TensorProto.DataType.INT32_VALUE);
    return one(ctx.castTo(s, TensorProto.DataType.INT64_VALUE, outType, n.name()));
  }
}
