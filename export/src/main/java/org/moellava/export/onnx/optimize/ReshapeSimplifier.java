package org.moellava.export.onnx.optimize;

import java.util.Arrays;
import java.util.List;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;

/**
 * Gives Reshapes constant targets where {@link ShapeFacts} can tell, so the {@code Shape -> Gather -> Unsqueeze ->
 * Concat -> Cast} chain that computed the target at runtime falls away:
 *
 * <ul>
 *   <li>a target element equal to the input's dim at the same position becomes {@code 0} (ONNX: copy that dim);
 *   <li>a static element stays; one element neither static nor a copied dim becomes {@code -1}, only when every
 *       other element is a static positive number (so {@code -1} is inferred exactly as before, also for empty
 *       tensors) and the target had no {@code -1} yet;
 *   <li>a Reshape whose target then leaves every dim as it is is dropped (its output is its input);
 *   <li>a Reshape of a Reshape reads the inner one's input, and a Reshape of a Transpose that keeps the order of
 *       the non-1 axes reads the Transpose's input (same elements in the same order), when the target's copied
 *       ({@code 0}) dims are the same dims there.
 * </ul>
 *
 * A target with a literal 0 under {@code allowzero=1} is left alone.
 */
public final class ReshapeSimplifier implements OnnxOptimizer {
  @Override
  public GraphProto optimize(GraphProto g) {
    ShapeFacts facts = ShapeFacts.of(g);
    GraphRewrite rw = new GraphRewrite(g);
    for (NodeProto n : g.getNodeList()) {
      if (!GraphRewrite.is(n, "Reshape") || n.getInputCount() != 2) {
        rw.keep(n);
        continue;
      }
      String x = n.getInput(0);
      String out = n.getOutput(0);
      List<SymDim> xShape = facts.shape(x);
      long[] target = resolve(n, xShape, facts.value(n.getInput(1)));
      if (target == null) {
        rw.keep(n);
        continue;
      }
      if (isIdentity(target, xShape) && !rw.isGraphOutput(out)) {
        rw.bypass(out, x);
        continue;
      }
      String source = x;
      while (true) {
        NodeProto p = rw.producer(source);
        String inner = GraphRewrite.is(p, "Reshape") ? p.getInput(0)
            : GraphRewrite.is(p, "Transpose") && keepsOrder(p, facts) ? p.getInput(0) : null;
        if (inner == null || !sameCopiedDims(target, facts.shape(source), facts.shape(inner))) break;
        source = inner;
      }
      long[] current = facts.initializer(n.getInput(1)) == null ? null : facts.constants(n.getInput(1));
      boolean allowZero = ShapeFacts.intAttr(n, "allowzero", 0) != 0;
      if (source.equals(x) && current != null && Arrays.equals(current, target) && !allowZero) {
        rw.keep(n);
        continue;
      }
      NodeProto.Builder b = GraphRewrite.withoutAttr(n, "allowzero").toBuilder();
      b.setInput(0, source).setInput(1, rw.int64Initializer(out + "/shape", target, false));
      rw.add(b.build());
    }
    return rw.build();
  }

  /** The constant target equivalent to {@code value} for input dims {@code x}, or null. */
  static long[] resolve(NodeProto n, List<SymDim> x, List<SymDim> value) {
    if (value == null || x == null) return null;
    boolean allowZero = ShapeFacts.intAttr(n, "allowzero", 0) != 0;
    long[] r = new long[value.size()];
    boolean hadMinusOne = false;
    int newMinusOne = -1;
    for (int i = 0; i < r.length; i++) {
      SymDim d = value.get(i);
      if (d.isConstant()) {
        if (d.coef() == 0 && allowZero) return null;
        if (d.coef() < -1) return null;
        hadMinusOne |= d.coef() == -1;
        r[i] = d.coef();
      } else if (i < x.size() && x.get(i).equals(d)) {
        r[i] = 0;
      } else {
        if (newMinusOne >= 0) return null;
        newMinusOne = i;
        r[i] = -1;
      }
    }
    if (newMinusOne >= 0) {
      if (hadMinusOne) return null;
      for (int i = 0; i < r.length; i++) {
        if (i != newMinusOne && r[i] <= 0) return null;
      }
    }
    return r;
  }

  /** Whether reshaping to {@code target} keeps every dim of {@code x}. */
  private static boolean isIdentity(long[] target, List<SymDim> x) {
    if (target.length != x.size()) return false;
    int unmatched = 0;
    for (int i = 0; i < target.length; i++) {
      boolean same = target[i] == 0 || (x.get(i).isConstant() && x.get(i).coef() == target[i]);
      if (!same) {
        if (target[i] != -1) return false;
        unmatched++;
      }
    }
    return unmatched <= 1; // one -1 among otherwise equal dims is that dim again
  }

  /** Whether every dim {@code target} copies ({@code 0}) is the same in {@code from} and {@code to}. */
  private static boolean sameCopiedDims(long[] target, List<SymDim> from, List<SymDim> to) {
    for (int i = 0; i < target.length; i++) {
      if (target[i] != 0) continue;
      if (from == null || to == null || i >= from.size() || i >= to.size() || !from.get(i).equals(to.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** Whether a Transpose moves only axes of size 1, leaving the elements' order as it was. */
  private static boolean keepsOrder(NodeProto t, ShapeFacts facts) {
    List<SymDim> in = facts.shape(t.getInput(0));
    long[] perm = ShapeFacts.intsAttr(t, "perm");
    if (in == null || perm == null || perm.length != in.size()) return false;
    long last = -1;
    for (long p : perm) {
      if (in.get((int) p).is(1)) continue;
      if (p < last) return false;
      last = p;
    }
    return true;
  }
}
