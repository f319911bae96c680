package org.moellava.export.onnx.handlers;

import static org.moellava.export.onnx.handlers.ConversionContext.one;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.tf.TfNode;
import org.moellava.export.onnx.tf.TfRef;

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
    r.register("TensorScatterAdd", IndexHandlers::tensorScatterAdd);
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

  /** ScatterNd(indices [M..., K], updates [M..., rest...], shape): zeros of shape, repeated indices summed. */
  private static List<String> scatterNd(TfNode n, ConversionContext ctx) {
    return scatterAdd(n, ctx, ctx.int64Input(n, 2), 0, rowsShape -> ctx.onnx().node("ConstantOfShape")
        .input(rowsShape).attr("value", zero(ctx.inputType(n, 1))).output(n.name() + "/zeros"));
  }

  /** TensorScatterAdd(tensor, indices [M..., K], updates [M..., rest...]): tensor plus updates, repeats summed. */
  private static List<String> tensorScatterAdd(TfNode n, ConversionContext ctx) {
    String shape = ctx.onnx().node("Shape").input(ctx.input(n, 0)).output(n.name() + "/shape");
    return scatterAdd(n, ctx, shape, 1, rowsShape -> ctx.onnx().node("Reshape").inputs(ctx.input(n, 0), rowsShape)
        .output(n.name() + "/rows"));
  }

  /**
   * Adds the updates (input {@code indicesInput + 1}) at the indices (input {@code indicesInput}, {@code [M..., K]})
   * into a target of {@code shape}: the target is seen as rows {@code [R, rest...]} ({@code base} makes it from that
   * rows shape), the K-deep indices become row numbers, and the result is reshaped back to {@code shape}.
   */
  private static List<String> scatterAdd(TfNode n, ConversionContext ctx, String shape, int indicesInput,
      UnaryOperator<String> base) {
    String name = n.name();
    int depth = indexDepth(n, ctx, indicesInput);
    String rows = base.apply(rowsShape(ctx, name, shape, depth)); // [R, rest...]
    String sums = addIntoRows(ctx, name, rows, linearRows(ctx, name, ctx.int64Input(n, indicesInput), shape, depth),
        ctx.rank(n, indicesInput) - 1, ctx.input(n, indicesInput + 1), ctx.rank(n, indicesInput + 1),
        depth == 1 && uniqueIds(ctx, n.input(indicesInput)));
    return one(ctx.onnx().node("Reshape").inputs(sums, shape).output(name));
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
    String safeIds = o.node("Where").inputs(negative, num, ids).output(base + "/ids"); // [N...]
    String dataShape = o.node("Shape").input(ctx.input(n, 0)).output(base + "/data_shape");
    String tail = o.node("Slice").inputs(dataShape, ctx.longs(base + "/tail_start", idsRank),
        ctx.longs(base + "/tail_end", Long.MAX_VALUE)).output(base + "/tail"); // rest...
    String numPlusOne = o.node("Add").inputs(num, ctx.longs(base + "/one", 1L)).output(base + "/num1");
    String zerosShape = o.node("Concat").inputs(numPlusOne, tail).attr("axis", 0L).output(base + "/shape");
    String zeros = o.node("ConstantOfShape").input(zerosShape).attr("value", zero(ctx.inputType(n, 0)))
        .output(base + "/zeros"); // [num + 1, rest...]
    String sums = addIntoRows(ctx, base, zeros, safeIds, idsRank, ctx.input(n, 0), ctx.rank(n, 0),
        uniqueIds(ctx, n.input(1)));
    return one(o.node("Slice").inputs(sums, ctx.longs(base + "/zero", 0L), num, ctx.longs(base + "/axis0", 0L))
        .output(base));
  }

  /**
   * {@code base [R, rest...]} with {@code updates [M..., rest...]} added into rows {@code rows [M...]} (int64, in
   * range). Rows may repeat, and ONNX Runtime's CPU {@code ScatterND(reduction=add)} loses updates when repeated
   * indices land on different threads (microsoft/onnxruntime#18048, #23396; measured here: 16 of 20 runs wrong). So
   * {@code ScatterND} is used only for {@code unique} rows; otherwise {@code ScatterElements(axis=0, reduction=add)},
   * whose indices cover every element of the updates.
   */
  private static String addIntoRows(ConversionContext ctx, String name, String base, String rows, int rowsRank,
      String updates, int updatesRank, boolean unique) {
    var o = ctx.onnx();
    if (unique) {
      String indices = o.node("Unsqueeze").inputs(rows, ctx.longs(name + "/last", -1L))
          .output(name + "/indices"); // [M..., 1]
      return o.node("ScatterND").inputs(base, indices, updates).attr("reduction", "add").output(name + "/sums");
    }
    String updatesShape = o.node("Shape").input(updates).output(name + "/updates_shape");
    String tail = o.node("Slice").inputs(updatesShape, ctx.longs(name + "/tail_start", rowsRank),
        ctx.longs(name + "/tail_end", Long.MAX_VALUE)).output(name + "/updates_tail"); // rest...
    String flatShape = o.node("Concat").inputs(ctx.longs(name + "/minus_one", -1L), tail).attr("axis", 0L)
        .output(name + "/flat_shape");
    String flatUpdates = o.node("Reshape").inputs(updates, flatShape).output(name + "/flat_updates"); // [M, rest...]
    long[] columnShape = new long[updatesRank - rowsRank + 1];
    Arrays.fill(columnShape, 1L);
    columnShape[0] = -1L;
    String columnRows = o.node("Reshape").inputs(rows, ctx.longs(name + "/column_shape", columnShape))
        .output(name + "/column_rows"); // [M, 1...]
    String flatUpdatesShape = o.node("Shape").input(flatUpdates).output(name + "/flat_updates_shape");
    String everyElement = o.node("Expand").inputs(columnRows, flatUpdatesShape).output(name + "/element_rows");
    return o.node("ScatterElements").inputs(base, everyElement, flatUpdates).attr("axis", 0L)
        .attr("reduction", "add").output(name + "/sums");
  }

  /** The static index depth K of {@code indices [M..., K]} (input {@code i}). */
  private static int indexDepth(TfNode n, ConversionContext ctx, int i) {
    long[] dims = ctx.dims(n, i);
    if (dims.length == 0 || dims[dims.length - 1] < 1) {
      throw ctx.fail(n, "the index depth (last dimension of the indices) must be statically known");
    }
    return (int) dims[dims.length - 1];
  }

  /** {@code [prod(shape[:depth]), shape[depth:]...]}: the target seen as rows. */
  private static String rowsShape(ConversionContext ctx, String name, String shape, int depth) {
    var o = ctx.onnx();
    String lead = o.node("Slice").inputs(shape, ctx.longs(name + "/lead_start", 0L),
        ctx.longs(name + "/lead_end", depth)).output(name + "/lead");
    String count = o.node("ReduceProd").input(lead).attr("keepdims", 1L).output(name + "/row_count"); // [1]
    String tail = o.node("Slice").inputs(shape, ctx.longs(name + "/tail_start", depth),
        ctx.longs(name + "/tail_end", Long.MAX_VALUE)).output(name + "/tail");
    return o.node("Concat").inputs(count, tail).attr("axis", 0L).output(name + "/rows_shape");
  }

  /** Row numbers {@code [M...]} of {@code indices [M..., K]} into the first K dims of {@code shape}, row-major. */
  private static String linearRows(ConversionContext ctx, String name, String indices, String shape, int depth) {
    var o = ctx.onnx();
    String rows = o.node("Gather").inputs(indices, ctx.longs(name + "/k0", 0L)).attr("axis", -1L)
        .output(name + "/row"); // [M..., 1]
    for (int j = 1; j < depth; j++) {
      String size = o.node("Gather").inputs(shape, ctx.longs(name + "/k" + j, j)).output(name + "/size"); // [1]
      String part = o.node("Gather").inputs(indices, ctx.longs(name + "/k" + j, j)).attr("axis", -1L)
          .output(name + "/part"); // [M..., 1]
      rows = o.node("Add").inputs(o.node("Mul").inputs(rows, size).output(name + "/scaled"), part)
          .output(name + "/row");
    }
    return o.node("Squeeze").inputs(rows, ctx.longs(name + "/last", -1L)).output(name + "/rows"); // [M...]
  }

  /**
   * Whether the ids at {@code ref} cannot repeat: a {@code Where} over a vector (strictly increasing row numbers),
   * possibly reshaped, cast or passed through an identity.
   */
  private static boolean uniqueIds(ConversionContext ctx, TfRef ref) {
    TfNode node = ctx.producer(ref);
    while (Set.of("Reshape", "Identity", "Cast", "Squeeze").contains(node.op())) {
      node = ctx.producer(node.input(0));
    }
    return node.op().equals("Where") && node.inputs().size() == 1 && ctx.rank(node, 0) == 1;
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
