package org.moellava.export.onnx.handlers;

import static org.moellava.export.onnx.handlers.ConversionContext.one;

import java.util.ArrayList;
import java.util.List;
import org.moellava.export.onnx.tf.TfNode;

/** TF Slice and StridedSlice as ONNX Slice (+ Squeeze / Unsqueeze for shrink and new axes). */
final class SliceHandlers {
  private SliceHandlers() {}

  static void register(OpHandlerRegistry r) {
    r.register("Slice", SliceHandlers::slice);
    r.register("StridedSlice", SliceHandlers::stridedSlice);
  }

  /** TF Slice(input, begin, size): size -1 means "to the end". */
  private static List<String> slice(TfNode n, ConversionContext ctx) {
    int rank = ctx.rank(n, 0);
    String begin = ctx.int64Input(n, 1);
    String ends;
    var beginConst = ctx.constant(n.input(1));
    var sizeConst = ctx.constant(n.input(2));
    if (beginConst.isPresent() && sizeConst.isPresent()) {
      long[] b = beginConst.get().longs();
      long[] s = sizeConst.get().longs();
      long[] e = new long[rank];
      for (int i = 0; i < rank; i++) e[i] = s[i] == -1 ? Long.MAX_VALUE : b[i] + s[i];
      ends = ctx.longs(n.name() + "/ends", e);
    } else {
      String size = ctx.int64Input(n, 2);
      String sum = ctx.onnx().node("Add").inputs(begin, size).output(n.name() + "/end");
      String toEnd = ctx.onnx().node("Equal").inputs(size, ctx.longs(n.name() + "/minus1", -1))
          .output(n.name() + "/to_end");
      ends = ctx.onnx().node("Where").inputs(toEnd, ctx.longs(n.name() + "/max", Long.MAX_VALUE), sum)
          .output(n.name() + "/ends");
    }
    long[] axes = new long[rank];
    for (int i = 0; i < rank; i++) axes[i] = i;
    return one(ctx.onnx().node("Slice").inputs(ctx.input(n, 0), begin, ends,
        ctx.longs(n.name() + "/axes", axes)).output(n.name()));
  }

  /**
   * TF StridedSlice with constant begin/end/strides and any combination of begin, end, ellipsis, new-axis
   * and shrink-axis masks.
   */
  private static List<String> stridedSlice(TfNode n, ConversionContext ctx) {
    long[] begin = ctx.requireLongs(n, 1, "StridedSlice begin");
    long[] end = ctx.requireLongs(n, 2, "StridedSlice end");
    long[] strides = ctx.requireLongs(n, 3, "StridedSlice strides");
    long beginMask = n.intAttr("begin_mask", 0);
    long endMask = n.intAttr("end_mask", 0);
    long ellipsisMask = n.intAttr("ellipsis_mask", 0);
    long newAxisMask = n.intAttr("new_axis_mask", 0);
    long shrinkMask = n.intAttr("shrink_axis_mask", 0);
    if (Long.bitCount(ellipsisMask) > 1) throw ctx.fail(n, "more than one ellipsis");
    int rank = ctx.rank(n, 0);
    int specLen = begin.length;
    int consumed = 0; // input dims named by spec entries other than ellipsis and new axes
    for (int i = 0; i < specLen; i++) {
      if (!bit(ellipsisMask, i) && !bit(newAxisMask, i)) consumed++;
    }
    List<Long> starts = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    List<Long> axes = new ArrayList<>();
    List<Long> steps = new ArrayList<>();
    List<Long> squeezeAxes = new ArrayList<>(); // input dims (kept through Slice) to drop
    List<Long> newAxes = new ArrayList<>(); // positions in the final output
    int inDim = 0;
    int finalDim = 0; // position in the final output
    for (int i = 0; i < specLen; i++) {
      if (bit(ellipsisMask, i)) {
        int covered = rank - consumed;
        inDim += covered;
        finalDim += covered;
        continue;
      }
      if (bit(newAxisMask, i)) {
        newAxes.add((long) finalDim);
        finalDim++;
        continue;
      }
      long stride = strides[i];
      if (stride == 0) throw ctx.fail(n, "stride 0");
      if (bit(shrinkMask, i)) {
        starts.add(begin[i]);
        ends.add(begin[i] == -1 ? Long.MAX_VALUE : begin[i] + 1);
        steps.add(1L);
        axes.add((long) inDim);
        squeezeAxes.add((long) inDim);
      } else {
        boolean up = stride > 0;
        starts.add(bit(beginMask, i) ? (up ? 0 : Long.MAX_VALUE) : begin[i]);
        ends.add(bit(endMask, i) ? (up ? Long.MAX_VALUE : Long.MIN_VALUE) : end[i]);
        steps.add(stride);
        axes.add((long) inDim);
        finalDim++;
      }
      inDim++;
    }
    if (inDim > rank) {
      throw ctx.fail(n, "slice spec names " + inDim + " dims of a rank-" + rank + " input");
    }
    String out = ctx.input(n, 0);
    if (!axes.isEmpty()) {
      out = ctx.onnx().node("Slice").inputs(out,
          ctx.longs(n.name() + "/starts", toArray(starts)), ctx.longs(n.name() + "/ends", toArray(ends)),
          ctx.longs(n.name() + "/axes", toArray(axes)), ctx.longs(n.name() + "/steps", toArray(steps)))
          .output(n.name() + (squeezeAxes.isEmpty() && newAxes.isEmpty() ? "" : "/slice"));
    }
    if (!squeezeAxes.isEmpty()) {
      out = ctx.onnx().node("Squeeze").inputs(out, ctx.longs(n.name() + "/shrink", toArray(squeezeAxes)))
          .output(n.name() + (newAxes.isEmpty() ? "" : "/squeeze"));
    }
    if (!newAxes.isEmpty()) {
      out = ctx.onnx().node("Unsqueeze").inputs(out, ctx.longs(n.name() + "/new", toArray(newAxes)))
          .output(n.name());
    }
    if (axes.isEmpty() && squeezeAxes.isEmpty() && newAxes.isEmpty()) {
      out = ctx.onnx().node("Identity").input(out).output(n.name());
    }
    return one(out);
  }

  private static boolean bit(long mask, int i) {
    return (mask >> i & 1) == 1;
  }

  private static long[] toArray(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).toArray();
  }
}
