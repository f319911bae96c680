package org.moellava.export.onnx.handlers;

import static org.moellava.export.onnx.handlers.ConversionContext.one;

import java.util.List;
import java.util.Optional;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.tf.TfNode;

/**
 * Gathers, scatters, top-k and one-hot. ONNX wants int64 indices, k and depth where TF graphs usually carry
 * int32, so every index input goes through {@link ConversionContext#int64Input}.
 */
final class IndexHandlers {
  private IndexHandlers() {}

  private static final int INT64 = TensorProto.DataType.INT64_VALUE;

  static void register(OpHandlerRegistry r) {
    r.register("GatherV2", IndexHandlers::gather);
    r.register("GatherNd", (n, ctx) -> one(ctx.onnx().node("GatherND")
        .inputs(ctx.input(n, 0), ctx.int64Input(n, 1)).output(n.name())));
    r.register("ScatterNd", IndexHandlers::scatterNd);
    r.register("TensorScatterAdd", (n, ctx) -> one(ctx.onnx().node("ScatterND")
        .inputs(ctx.input(n, 0), ctx.int64Input(n, 1), ctx.input(n, 2)).attr("reduction", "add")
        .output(n.name())));
    r.register("TensorScatterUpdate", (n, ctx) -> one(ctx.onnx().node("ScatterND")
        .inputs(ctx.input(n, 0), ctx.int64Input(n, 1), ctx.input(n, 2)).output(n.name())));
    r.register("UnsortedSegmentSum", IndexHandlers::unsortedSegmentSum);
    r.register("TopKV2", IndexHandlers::topK);
    r.register("OneHot", IndexHandlers::oneHot);
    r.register("Where", IndexHandlers::whereIndices);
  }

  /** GatherV2(params, indices, axis) with batch_dims 0 (Gather) or batch_dims == axis (GatherND). */
  private static List<String> gather(TfNode n, ConversionContext ctx) {
    long axis = ctx.requireLongs(n, 2, "GatherV2 axis")[0];
    long batchDims = n.intAttr("batch_dims", 0);
    String indices = ctx.int64Input(n, 1);
    if (batchDims == 0) {
      return one(ctx.onnx().node("Gather").inputs(ctx.input(n, 0), indices).attr("axis", axis)
          .output(n.name()));
    }
    if (batchDims < 0) batchDims += ctx.rank(n, 1);
    if (axis < 0) axis += ctx.rank(n, 0);
    if (axis != batchDims) {
      throw ctx.fail(n, "batch_dims " + batchDims + " with axis " + axis + " (only axis == batch_dims)");
    }
    // params [b..., N, rest...], indices [b..., K...] -> GatherND over indices [b..., K..., 1]
    String idx = ctx.onnx().node("Unsqueeze").inputs(indices, ctx.longs(n.name() + "/last", -1L))
        .output(n.name() + "/idx");
    return one(ctx.onnx().node("GatherND").inputs(ctx.input(n, 0), idx).attr("batch_dims", batchDims)
        .output(n.name()));
  }

  /** ScatterNd(indices, updates, shape): zeros of shape, duplicates summed. */
  private static List<String> scatterNd(TfNode n, ConversionContext ctx) {
    String zeros = ctx.onnx().node("ConstantOfShape").input(ctx.int64Input(n, 2))
        .attr("value", zero(ctx.inputType(n, 1))).output(n.name() + "/zeros");
    return one(ctx.onnx().node("ScatterND").inputs(zeros, ctx.int64Input(n, 0), ctx.input(n, 1))
        .attr("reduction", "add").output(n.name()));
  }

  /**
   * UnsortedSegmentSum(data [N..., rest...], ids [N...], num) -> [num, rest...]. TF drops negative ids; here
   * they are routed to an extra segment that is sliced off, so the result is exact.
   */
  private static List<String> unsortedSegmentSum(TfNode n, ConversionContext ctx) {
    var o = ctx.onnx();
    String base = n.name();
    int idsRank = ctx.rank(n, 1);
    String ids = ctx.int64Input(n, 1);
    String num = o.node("Reshape").inputs(ctx.int64Input(n, 2), ctx.longs(base + "/one", 1L))
        .output(base + "/num"); // [1]
    String negative = o.node("Less").inputs(ids, ctx.longs(base + "/zero", 0L)).output(base + "/neg");
    String safeIds = o.node("Where").inputs(negative, num, ids).output(base + "/ids");
    String indices = o.node("Unsqueeze").inputs(safeIds, ctx.longs(base + "/last", -1L))
        .output(base + "/indices"); // [N..., 1]
    String dataShape = o.node("Shape").input(ctx.input(n, 0)).output(base + "/data_shape");
    String tail = o.node("Slice").inputs(dataShape, ctx.longs(base + "/tail_start", idsRank),
        ctx.longs(base + "/tail_end", Long.MAX_VALUE)).output(base + "/tail");
    String numPlusOne = o.node("Add").inputs(num, ctx.longs(base + "/one", 1L)).output(base + "/num1");
    String zerosShape = o.node("Concat").inputs(numPlusOne, tail).attr("axis", 0L).output(base + "/shape");
    String zeros = o.node("ConstantOfShape").input(zerosShape).attr("value", zero(ctx.inputType(n, 0)))
        .output(base + "/zeros");
    String sums = o.node("ScatterND").inputs(zeros, indices, ctx.input(n, 0)).attr("reduction", "add")
        .output(base + "/sums");
    return one(o.node("Slice").inputs(sums, ctx.longs(base + "/zero", 0L), num, ctx.longs(base + "/axis0", 0L))
        .output(base));
  }

  /** TopKV2(input, k) over the last axis; ties keep the lower index first in both TF and ONNX. */
  private static List<String> topK(TfNode n, ConversionContext ctx) {
    Optional<ConstTensor> kConst = ctx.constant(n.input(1));
    String k = kConst.isPresent()
        ? ctx.longs(n.name() + "/k", kConst.get().longs()[0])
        : ctx.onnx().node("Reshape").inputs(ctx.int64Input(n, 1), ctx.longs(n.name() + "/one", 1L))
            .output(n.name() + "/k");
    // TF sorted=false leaves the order unspecified; sorted output is one valid order.
    List<String> out = ctx.onnx().node("TopK").inputs(ctx.input(n, 0), k).attr("axis", -1L)
        .attr("largest", 1L).attr("sorted", 1L).outputs(n.name(), 2);
    int indexType = n.typeAttr("index_type").map(t -> t.getNumber() == 9 ? INT64
        : TensorProto.DataType.INT32_VALUE).orElse(TensorProto.DataType.INT32_VALUE);
    return List.of(out.get(0), ctx.castTo(out.get(1), INT64, indexType, n.name() + "/indices"));
  }

  /** Single-input TF Where: int64 coordinates of the non-zero elements, {@code [n, rank]} (ONNX NonZero is [rank, n]). */
  private static List<String> whereIndices(TfNode n, ConversionContext ctx) {
    if (n.inputs().size() != 1) throw ctx.fail(n, "Where with " + n.inputs().size() + " inputs (only the one-input form)");
    String nz = ctx.onnx().node("NonZero").input(ctx.input(n, 0)).output(n.name() + "/nonzero"); // [rank, n]
    return one(ctx.onnx().node("Transpose").input(nz).attr("perm", new long[] {1, 0}).output(n.name()));
  }

  /** OneHot(indices, depth, on, off); TF gives all-off rows for negative indices, ONNX would wrap them. */
  private static List<String> oneHot(TfNode n, ConversionContext ctx) {
    var o = ctx.onnx();
    long depth = ctx.requireLongs(n, 1, "OneHot depth")[0];
    String idx = ctx.int64Input(n, 0);
    String negative = o.node("Less").inputs(idx, ctx.longs(n.name() + "/zero", 0L)).output(n.name() + "/neg");
    String safe = o.node("Where").inputs(negative, o.constant(n.name() + "/off_range",
        ConstTensor.scalarLong(depth)), idx).output(n.name() + "/idx");
    String one = ctx.longs(n.name() + "/one", 1L);
    String off = o.node("Reshape").inputs(ctx.input(n, 3), one).output(n.name() + "/off");
    String on = o.node("Reshape").inputs(ctx.input(n, 2), one).output(n.name() + "/on");
    String values = o.node("Concat").inputs(off, on).attr("axis", 0L).output(n.name() + "/values");
    return one(o.node("OneHot").inputs(safe, ctx.longs(n.name() + "/depth", depth), values)
        .attr("axis", n.intAttr("axis", -1)).output(n.name()));
  }

  private static TensorProto zero(int elemType) {
    return ConstTensor.scalarOf(elemType, 0).reshape(1).toOnnx("value");
  }
}
