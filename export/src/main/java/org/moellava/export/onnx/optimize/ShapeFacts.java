package org.moellava.export.onnx.optimize;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.TensorShapeProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/**
 * Symbolic shape inference over a converted graph (default-domain ops, nodes in topological order): for each tensor
 * its shape as {@link SymDim}s where the analysis can tell, its element type where known, and, for small integer
 * tensors of rank 0 or 1 (shape arithmetic), their values as {@link SymDim}s. A graph input's unknown dim {@code i}
 * is the atom {@code "input.i"}; a dim the analysis cannot relate to anything gets a fresh atom of its own. Only
 * structural facts are used (never that two inputs' dims share a {@code dim_param} name), so equal facts are equal
 * at runtime for every input the graph accepts.
 */
final class ShapeFacts {
  /** Integer tensors up to this many elements have their values tracked. */
  static final int MAX_VALUE_ELEMENTS = 64;
  private static final int INT32 = TensorProto.DataType.INT32_VALUE;
  private static final int INT64 = TensorProto.DataType.INT64_VALUE;
  private static final int BOOL = TensorProto.DataType.BOOL_VALUE;
  /** Ops whose first output has the shape and element type of their first input. */
  private static final Set<String> SAME_SHAPE = Set.of("Identity", "Neg", "Sqrt", "Reciprocal", "Exp", "Log",
      "Sigmoid", "Tanh", "Relu", "Erf", "Cos", "Sin", "Abs", "Not", "Softmax", "LogSoftmax", "Gelu", "Clip", "Floor",
      "Ceil", "Round", "Sign", "CumSum", "ScatterND", "ScatterElements", "Trilu", "HardSigmoid",
      "LeakyRelu", "Elu", "Selu", "Softplus", "Softsign", "Dropout", "LayerNormalization", "Mish");
  private static final Set<String> COMPARISONS = Set.of("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
      "And", "Or", "Xor");
  private static final Set<String> BROADCAST = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Mod", "PRelu", "Where",
      "Sum", "Max", "Min", "Mean", "BitShift", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And",
      "Or", "Xor");

  private final Map<String, List<SymDim>> shapes = new HashMap<>();
  private final Map<String, List<SymDim>> values = new HashMap<>();
  private final Map<String, Integer> types = new HashMap<>();
  private final Map<String, TensorProto> initializers = new HashMap<>();
  private final Set<String> nonNegative = new java.util.HashSet<>();
  private int fresh;

  private ShapeFacts() {}

  /** Infers the facts of every tensor of {@code g}. */
  static ShapeFacts of(GraphProto g) {
    ShapeFacts f = new ShapeFacts();
    for (TensorProto t : g.getInitializerList()) f.initializer(t);
    for (ValueInfoProto v : g.getInputList()) {
      if (!f.initializers.containsKey(v.getName())) f.input(v);
    }
    for (NodeProto n : g.getNodeList()) {
      try {
        f.infer(n);
        f.inferSign(n);
      } catch (RuntimeException e) { // a malformed or unexpected node: its outputs stay unknown
        for (String o : n.getOutputList()) {
          f.shapes.remove(o);
          f.values.remove(o);
        }
      }
    }
    return f;
  }

  /** The shape of {@code name}, or null when not even its rank is known. */
  List<SymDim> shape(String name) {
    return shapes.get(name);
  }

  /** The elements of a small integer tensor of rank 0 or 1, or null. */
  List<SymDim> value(String name) {
    return values.get(name);
  }

  /**
   * Whether every element of integer tensor {@code name} is known to be {@code >= 0}: indices (NonZero, TopK,
   * ArgMax), shapes, non-negative constants, and data movement or sums and products of such tensors.
   */
  boolean nonNegative(String name) {
    return nonNegative.contains(name);
  }

  /** The ONNX element type of {@code name}, or null. */
  Integer type(String name) {
    return types.get(name);
  }

  /** The initializer named {@code name}, or null. */
  TensorProto initializer(String name) {
    return initializers.get(name);
  }

  /** The static values of {@code name}, or null unless every element is static. */
  long[] constants(String name) {
    List<SymDim> v = values.get(name);
    if (v == null) return null;
    long[] out = new long[v.size()];
    for (int i = 0; i < out.length; i++) {
      if (!v.get(i).isConstant()) return null;
      out[i] = v.get(i).coef();
    }
    return out;
  }

  private SymDim freshDim() {
    return SymDim.atom("?" + fresh++);
  }

  private List<SymDim> freshDims(int rank) {
    List<SymDim> l = new ArrayList<>();
    for (int i = 0; i < rank; i++) l.add(freshDim());
    return l;
  }

  private void initializer(TensorProto t) {
    initializers.put(t.getName(), t);
    types.put(t.getName(), t.getDataType());
    List<SymDim> shape = new ArrayList<>();
    for (long d : t.getDimsList()) shape.add(SymDim.of(d));
    shapes.put(t.getName(), shape);
    long[] v = readInts(t);
    if (v != null) {
      values.put(t.getName(), dims(v));
      if (java.util.Arrays.stream(v).allMatch(x -> x >= 0)) nonNegative.add(t.getName());
    }
  }

  /** The elements of a small INT32/INT64 initializer of rank 0 or 1 held in the model, or null. */
  static long[] readInts(TensorProto t) {
    if (t.getDimsCount() > 1 || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) return null;
    long n = t.getDimsCount() == 0 ? 1 : t.getDims(0);
    if (n > MAX_VALUE_ELEMENTS) return null;
    long[] out = new long[(int) n];
    if (t.getDataType() == INT64) {
      if (!t.getRawData().isEmpty()) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != 8 * n) return null;
        for (int i = 0; i < n; i++) out[i] = b.getLong();
      } else {
        if (t.getInt64DataCount() != n) return null;
        for (int i = 0; i < n; i++) out[i] = t.getInt64Data(i);
      }
    } else if (t.getDataType() == INT32) {
      if (!t.getRawData().isEmpty()) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != 4 * n) return null;
        for (int i = 0; i < n; i++) out[i] = b.getInt();
      } else {
        if (t.getInt32DataCount() != n) return null;
        for (int i = 0; i < n; i++) out[i] = t.getInt32Data(i);
      }
    } else {
      return null;
    }
    return out;
  }

  private void input(ValueInfoProto v) {
    if (!v.getType().hasTensorType()) return;
    types.put(v.getName(), v.getType().getTensorType().getElemType());
    if (!v.getType().getTensorType().hasShape()) return;
    List<SymDim> shape = new ArrayList<>();
    List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
    for (int i = 0; i < dims.size(); i++) {
      TensorShapeProto.Dimension d = dims.get(i);
      shape.add(d.hasDimValue() && d.getDimValue() > 0 ? SymDim.of(d.getDimValue())
          : SymDim.atom(v.getName() + "." + i));
    }
    shapes.put(v.getName(), shape);
  }

  private static List<SymDim> dims(long[] v) {
    List<SymDim> l = new ArrayList<>();
    for (long x : v) l.add(SymDim.of(x));
    return l;
  }

  private void set(String name, List<SymDim> shape, Integer type) {
    if (name.isEmpty()) return;
    if (shape != null) shapes.put(name, List.copyOf(shape));
    if (type != null) types.put(name, type);
  }

  private void setValue(String name, List<SymDim> value) {
    if (value != null && value.size() <= MAX_VALUE_ELEMENTS) values.put(name, List.copyOf(value));
  }

  private void infer(NodeProto n) {
    if (!n.getDomain().isEmpty()) return;
    String op = n.getOpType();
    String in0 = n.getInputCount() > 0 ? n.getInput(0) : "";
    List<SymDim> s0 = shapes.get(in0);
    Integer t0 = types.get(in0);
    String out = n.getOutputCount() > 0 ? n.getOutput(0) : "";
    if (SAME_SHAPE.contains(op)) {
      set(out, s0, t0);
      if (op.equals("Identity")) setValue(out, values.get(in0));
      if (op.equals("Neg") && constants(in0) != null) {
        long[] c = constants(in0);
        for (int i = 0; i < c.length; i++) c[i] = -c[i];
        setValue(out, dims(c));
      }
      return;
    }
    if (BROADCAST.contains(op)) {
      List<List<SymDim>> ins = new ArrayList<>();
      for (String i : n.getInputList()) ins.add(shapes.get(i));
      Integer type = COMPARISONS.contains(op) ? Integer.valueOf(BOOL)
          : op.equals("Where") ? types.get(n.getInput(1)) : t0;
      set(out, broadcast(ins), type);
      if (n.getInputCount() == 2) setValue(out, arithmetic(op, values.get(in0), values.get(n.getInput(1))));
      return;
    }
    switch (op) {
      case "Cast" -> {
        int to = (int) intAttr(n, "to", 0);
        set(out, s0, to);
        List<SymDim> v = values.get(in0);
        if (v != null && (to == INT64 || to == INT32) && (t0 != null && (t0 == INT64 || t0 == INT32))) {
          if (to == INT64 || fitsInt32(v)) setValue(out, v);
        }
      }
      case "Shape" -> {
        if (s0 == null) {
          set(out, null, INT64);
          return;
        }
        int r = s0.size();
        int start = (int) clampAxis(intAttr(n, "start", 0), r);
        int end = (int) clampAxis(intAttr(n, "end", r), r);
        List<SymDim> v = s0.subList(start, Math.max(start, end));
        set(out, List.of(SymDim.of(v.size())), INT64);
        setValue(out, v);
      }
      case "Size" -> {
        set(out, List.of(), INT64);
        if (s0 != null) setValue(out, List.of(product(s0)));
      }
      case "Gather" -> gather(n, s0, t0);
      case "Slice" -> slice(n, s0, t0);
      case "Unsqueeze" -> unsqueeze(n, s0, t0);
      case "Squeeze" -> squeeze(n, s0, t0);
      case "Concat" -> concat(n, t0);
      case "Reshape" -> reshape(n, s0, t0);
      case "Transpose" -> {
        if (s0 == null) {
          set(out, null, t0);
          return;
        }
        long[] perm = intsAttr(n, "perm");
        List<SymDim> r = new ArrayList<>();
        for (int i = 0; i < s0.size(); i++) {
          r.add(s0.get(perm == null ? s0.size() - 1 - i : (int) perm[i]));
        }
        set(out, r, t0);
      }
      case "MatMul" -> set(out, matmul(s0, shapes.get(n.getInput(1))), t0);
      case "Gemm" -> {
        List<SymDim> b = shapes.get(n.getInput(1));
        if (s0 == null || b == null || s0.size() != 2 || b.size() != 2) {
          set(out, null, t0);
          return;
        }
        SymDim m = intAttr(n, "transA", 0) != 0 ? s0.get(1) : s0.get(0);
        SymDim nn = intAttr(n, "transB", 0) != 0 ? b.get(0) : b.get(1);
        set(out, List.of(m, nn), t0);
      }
      case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2", "ReduceLogSumExp" ->
          reduce(n, s0, t0);
      case "Split" -> split(n, s0, t0);
      case "TopK" -> {
        long[] k = constants(n.getInput(1));
        if (s0 == null || k == null || k.length != 1) return;
        List<SymDim> r = new ArrayList<>(s0);
        r.set((int) clampAxis(intAttr(n, "axis", -1), s0.size()), SymDim.of(k[0]));
        set(n.getOutput(0), r, t0);
        if (n.getOutputCount() > 1) set(n.getOutput(1), r, INT64);
      }
      case "OneHot" -> {
        long[] depth = constants(n.getInput(1));
        Integer type = types.get(n.getInput(2));
        if (s0 == null || depth == null || depth.length != 1) {
          set(out, null, type);
          return;
        }
        List<SymDim> r = new ArrayList<>(s0);
        long axis = intAttr(n, "axis", -1);
        r.add((int) (axis < 0 ? axis + s0.size() + 1 : axis), SymDim.of(depth[0]));
        set(out, r, type);
      }
      case "NonZero" -> set(out, s0 == null ? null : List.of(SymDim.of(s0.size()), freshDim()), INT64);
      case "ConstantOfShape" -> {
        List<SymDim> v = values.get(in0);
        Integer type = FLOAT_DEFAULT;
        for (AttributeProto a : n.getAttributeList()) {
          if (a.getName().equals("value")) type = a.getT().getDataType();
        }
        set(out, v, type);
      }
      case "Range" -> {
        long[] a = constants(n.getInput(0));
        long[] b = constants(n.getInput(1));
        long[] c = constants(n.getInput(2));
        if (a != null && b != null && c != null && c[0] != 0) {
          long len = Math.max(0, (long) Math.ceil((double) (b[0] - a[0]) / c[0]));
          set(out, List.of(SymDim.of(len)), t0);
        } else {
          set(out, List.of(freshDim()), t0);
        }
      }
      case "Expand" -> {
        List<SymDim> target = values.get(n.getInput(1));
        set(out, s0 == null || target == null ? null : broadcast(List.of(s0, target)), t0);
      }
      default -> {
        // unknown op: outputs stay unknown
      }
    }
  }

  private static final Set<String> MOVES_DATA = Set.of("Identity", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
      "Slice", "Gather", "Split", "Expand", "Tile", "Flatten");

  private void inferSign(NodeProto n) {
    if (!n.getDomain().isEmpty()) return;
    String op = n.getOpType();
    boolean nonNeg = switch (op) {
      case "Shape", "Size", "NonZero", "ArgMax", "ArgMin", "Abs", "Relu" -> true;
      case "Cast" -> {
        Integer from = types.get(n.getInput(0));
        long to = intAttr(n, "to", 0);
        boolean ints = from != null && (from == INT32 || from == INT64) && (to == INT32 || to == INT64);
        yield ints && nonNegative.contains(n.getInput(0)); // indices and dims fit int32
      }
      case "Concat", "Add", "Mul", "Max" -> {
        boolean all = true;
        for (String in : n.getInputList()) all &= nonNegative.contains(in);
        yield all;
      }
      default -> MOVES_DATA.contains(op) && nonNegative.contains(n.getInput(0));
    };
    if (op.equals("TopK") && n.getOutputCount() > 1) nonNegative.add(n.getOutput(1));
    if (!nonNeg) return;
    for (String o : n.getOutputList()) {
      if (!o.isEmpty()) nonNegative.add(o);
    }
  }

  private static final Integer FLOAT_DEFAULT = TensorProto.DataType.FLOAT_VALUE;

  private static boolean fitsInt32(List<SymDim> v) {
    for (SymDim d : v) {
      if (d.isConstant() && (d.coef() > Integer.MAX_VALUE || d.coef() < Integer.MIN_VALUE)) return false;
    }
    return true; // a symbolic element is a dimension: the graph's own int32 shape math already assumes it fits
  }

  private static SymDim product(List<SymDim> dims) {
    SymDim p = SymDim.of(1);
    for (SymDim d : dims) p = p.times(d);
    return p;
  }

  private static long clampAxis(long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    return Math.max(0, Math.min(rank, a));
  }

  private List<SymDim> arithmetic(String op, List<SymDim> a, List<SymDim> b) {
    if (a == null || b == null) return null;
    if (a.size() != b.size() && a.size() != 1 && b.size() != 1) return null;
    int n = Math.max(a.size(), b.size());
    List<SymDim> r = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SymDim x = a.get(a.size() == 1 ? 0 : i);
      SymDim y = b.get(b.size() == 1 ? 0 : i);
      SymDim z = switch (op) {
        case "Mul" -> x.times(y);
        case "Add" -> x.plus(y);
        case "Sub" -> x.isConstant() && y.isConstant() ? SymDim.of(x.coef() - y.coef())
            : y.isConstant() ? x.plus(SymDim.of(-y.coef())) : null;
        case "Div" -> x.isConstant() && y.isConstant() && y.coef() != 0 ? SymDim.of(x.coef() / y.coef())
            : y.isConstant() && y.coef() > 0 ? x.dividedBy(y).orElse(null) : null;
        default -> null;
      };
      if (z == null) return null;
      r.add(z);
    }
    return r;
  }

  /** Numpy broadcasting of symbolic shapes; null when any is unknown or the static dims cannot broadcast. */
  private List<SymDim> broadcast(List<List<SymDim>> ins) {
    int rank = 0;
    for (List<SymDim> s : ins) {
      if (s == null) return null;
      rank = Math.max(rank, s.size());
    }
    List<SymDim> r = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      List<SymDim> column = new ArrayList<>();
      for (List<SymDim> s : ins) {
        int j = i - (rank - s.size());
        if (j >= 0) column.add(s.get(j));
      }
      SymDim d = merge(column, true);
      if (d == null) return null;
      r.add(d);
    }
    return r;
  }

  /**
   * The dim that several dims which must agree (or be 1, when {@code ones}) give: a static dim other than 1 wins
   * (a symbolic one must equal it or be 1 at runtime), equal symbols give that symbol, different ones a fresh dim;
   * null when two static dims disagree.
   */
  private SymDim merge(List<SymDim> column, boolean ones) {
    SymDim stat = null;
    SymDim sym = null;
    boolean mixed = false;
    for (SymDim e : column) {
      if (e.isConstant()) {
        if (ones && e.is(1)) continue;
        if (stat != null && !stat.equals(e)) return null;
        stat = e;
      } else if (sym == null) {
        sym = e;
      } else if (!sym.equals(e)) {
        mixed = true;
      }
    }
    if (stat != null) return stat;
    if (sym == null) return SymDim.of(1);
    return mixed ? freshDim() : sym;
  }

  private List<SymDim> matmul(List<SymDim> a, List<SymDim> b) {
    if (a == null || b == null || a.size() < 2 || b.size() < 2) return null;
    List<SymDim> batch = broadcast(List.of(a.subList(0, a.size() - 2), b.subList(0, b.size() - 2)));
    if (batch == null) return null;
    List<SymDim> r = new ArrayList<>(batch);
    r.add(a.get(a.size() - 2));
    r.add(b.get(b.size() - 1));
    return r;
  }

  private void gather(NodeProto n, List<SymDim> s0, Integer t0) {
    String out = n.getOutput(0);
    List<SymDim> idxShape = shapes.get(n.getInput(1));
    if (s0 == null || idxShape == null) {
      set(out, null, t0);
      return;
    }
    int axis = (int) clampAxis(intAttr(n, "axis", 0), s0.size());
    List<SymDim> r = new ArrayList<>(s0.subList(0, axis));
    r.addAll(idxShape);
    r.addAll(s0.subList(axis + 1, s0.size()));
    set(out, r, t0);
    List<SymDim> data = values.get(n.getInput(0));
    long[] idx = constants(n.getInput(1));
    if (data != null && idx != null && s0.size() == 1 && idxShape.size() <= 1) {
      List<SymDim> v = new ArrayList<>();
      for (long i : idx) {
        long j = i < 0 ? i + data.size() : i;
        if (j < 0 || j >= data.size()) return;
        v.add(data.get((int) j));
      }
      setValue(out, v);
    }
  }

  private void slice(NodeProto n, List<SymDim> s0, Integer t0) {
    String out = n.getOutput(0);
    if (s0 == null || n.getInputCount() < 3) {
      set(out, null, t0);
      return;
    }
    long[] starts = constants(n.getInput(1));
    long[] ends = constants(n.getInput(2));
    long[] axes = n.getInputCount() > 3 && !n.getInput(3).isEmpty() ? constants(n.getInput(3)) : null;
    long[] steps = n.getInputCount() > 4 && !n.getInput(4).isEmpty() ? constants(n.getInput(4)) : null;
    boolean axesGiven = n.getInputCount() > 3 && !n.getInput(3).isEmpty();
    boolean stepsGiven = n.getInputCount() > 4 && !n.getInput(4).isEmpty();
    if (starts == null || ends == null || (axesGiven && axes == null) || (stepsGiven && steps == null)
        || starts.length != ends.length) {
      set(out, freshDims(s0.size()), t0);
      return;
    }
    List<SymDim> r = new ArrayList<>(s0);
    List<SymDim> data = values.get(n.getInput(0));
    List<SymDim> v = data == null ? null : new ArrayList<>(data);
    for (int k = 0; k < starts.length; k++) {
      int axis = (int) (axes == null ? k : axes[k] < 0 ? axes[k] + s0.size() : axes[k]);
      long step = steps == null ? 1 : steps[k];
      if (axis < 0 || axis >= s0.size() || step == 0) {
        set(out, null, t0);
        return;
      }
      SymDim d = s0.get(axis);
      if (d.isConstant()) {
        long[] range = sliceRange(d.coef(), starts[k], ends[k], step);
        r.set(axis, SymDim.of(range[2]));
        if (v != null && s0.size() == 1) {
          List<SymDim> picked = new ArrayList<>();
          for (long i = 0; i < range[2]; i++) picked.add(v.get((int) (range[0] + i * step)));
          v = picked;
        }
      } else {
        boolean whole = step == 1 && starts[k] == 0 && ends[k] >= Integer.MAX_VALUE;
        r.set(axis, whole ? d : freshDim());
        if (!whole) v = null;
      }
    }
    set(out, r, t0);
    if (v != null) setValue(out, v);
  }

  /** ONNX Slice on a static dim: {clamped start, clamped end, length}. */
  private static long[] sliceRange(long dim, long start, long end, long step) {
    long s = start < 0 ? start + dim : start;
    long e = end < 0 ? end + dim : end;
    if (step > 0) {
      s = Math.max(0, Math.min(dim, s));
      e = Math.max(0, Math.min(dim, e));
      return new long[] {s, e, Math.max(0, (e - s + step - 1) / step)};
    }
    s = Math.max(-1, Math.min(dim - 1, s));
    e = Math.max(-1, Math.min(dim - 1, e));
    return new long[] {s, e, Math.max(0, (s - e + (-step) - 1) / (-step))};
  }

  private long[] axesOf(NodeProto n) {
    if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) return constants(n.getInput(1));
    return intsAttr(n, "axes");
  }

  private void unsqueeze(NodeProto n, List<SymDim> s0, Integer t0) {
    String out = n.getOutput(0);
    long[] axes = axesOf(n);
    if (s0 == null || axes == null) {
      set(out, null, t0);
      return;
    }
    int rank = s0.size() + axes.length;
    boolean[] inserted = new boolean[rank];
    for (long a : axes) inserted[(int) (a < 0 ? a + rank : a)] = true;
    List<SymDim> r = new ArrayList<>();
    int j = 0;
    for (int i = 0; i < rank; i++) r.add(inserted[i] ? SymDim.of(1) : s0.get(j++));
    set(out, r, t0);
    if (rank <= 1) setValue(out, values.get(n.getInput(0)));
  }

  private void squeeze(NodeProto n, List<SymDim> s0, Integer t0) {
    String out = n.getOutput(0);
    boolean axesGiven = (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) || intsAttr(n, "axes") != null;
    long[] axes = axesOf(n);
    if (s0 == null || (axesGiven && axes == null)) {
      set(out, null, t0);
      return;
    }
    boolean[] removed = new boolean[s0.size()];
    if (axesGiven) {
      for (long a : axes) removed[(int) (a < 0 ? a + s0.size() : a)] = true;
    } else {
      for (int i = 0; i < s0.size(); i++) {
        if (!s0.get(i).isConstant()) {
          set(out, null, t0);
          return;
        }
        removed[i] = s0.get(i).is(1);
      }
    }
    List<SymDim> r = new ArrayList<>();
    for (int i = 0; i < s0.size(); i++) {
      if (!removed[i]) r.add(s0.get(i));
    }
    set(out, r, t0);
    if (r.size() <= 1) setValue(out, values.get(n.getInput(0)));
  }

  private void concat(NodeProto n, Integer t0) {
    String out = n.getOutput(0);
    List<SymDim> first = shapes.get(n.getInput(0));
    if (first == null) {
      set(out, null, t0);
      return;
    }
    int axis = (int) clampAxis(intAttr(n, "axis", 0), first.size());
    List<List<SymDim>> ins = new ArrayList<>();
    List<SymDim> v = new ArrayList<>();
    boolean valuesKnown = first.size() == 1;
    for (String in : n.getInputList()) {
      List<SymDim> s = shapes.get(in);
      if (s == null || s.size() != first.size()) {
        set(out, null, t0);
        return;
      }
      ins.add(s);
      List<SymDim> val = values.get(in);
      if (val == null) valuesKnown = false;
      else v.addAll(val);
    }
    List<SymDim> r = new ArrayList<>();
    for (int i = 0; i < first.size(); i++) {
      if (i == axis) {
        SymDim sum = SymDim.of(0);
        for (List<SymDim> s : ins) sum = sum.plus(s.get(i));
        r.add(sum);
      } else {
        List<SymDim> column = new ArrayList<>();
        for (List<SymDim> s : ins) column.add(s.get(i));
        SymDim d = merge(column, false);
        if (d == null) {
          set(out, null, t0);
          return;
        }
        r.add(d);
      }
    }
    set(out, r, t0);
    if (valuesKnown) setValue(out, v);
  }

  private void reshape(NodeProto n, List<SymDim> s0, Integer t0) {
    String out = n.getOutput(0);
    List<SymDim> target = values.get(n.getInput(1));
    List<SymDim> targetShape = shapes.get(n.getInput(1));
    if (target == null) {
      boolean known = targetShape != null && targetShape.size() == 1 && targetShape.get(0).isConstant();
      set(out, known ? freshDims((int) targetShape.get(0).coef()) : null, t0);
      return;
    }
    boolean allowZero = intAttr(n, "allowzero", 0) != 0;
    List<SymDim> r = new ArrayList<>();
    int inferred = -1;
    for (int i = 0; i < target.size(); i++) {
      SymDim d = target.get(i);
      if (d.is(0) && !allowZero) {
        if (s0 == null || i >= s0.size()) {
          set(out, freshDims(target.size()), t0);
          return;
        }
        r.add(s0.get(i));
      } else if (d.is(-1)) {
        inferred = i;
        r.add(null);
      } else {
        r.add(d);
      }
    }
    if (inferred >= 0) {
      SymDim rest = SymDim.of(1);
      for (SymDim d : r) {
        if (d != null) rest = rest.times(d);
      }
      SymDim q = s0 == null ? null : product(s0).dividedBy(rest).orElse(null);
      r.set(inferred, q != null ? q : freshDim());
    }
    set(out, r, t0);
    if (r.size() <= 1) setValue(out, values.get(n.getInput(0)));
  }

  private void reduce(NodeProto n, List<SymDim> s0, Integer t0) {
    String out = n.getOutput(0);
    if (s0 == null) {
      set(out, null, t0);
      return;
    }
    long[] axes = intsAttr(n, "axes");
    boolean axesInput = n.getInputCount() > 1 && !n.getInput(1).isEmpty();
    if (axesInput) axes = constants(n.getInput(1));
    if (axesInput && axes == null) {
      set(out, null, t0);
      return;
    }
    boolean keep = intAttr(n, "keepdims", 1) != 0;
    boolean[] reduced = new boolean[s0.size()];
    if (axes == null || axes.length == 0) {
      if (intAttr(n, "noop_with_empty_axes", 0) != 0) {
        set(out, s0, t0);
        return;
      }
      java.util.Arrays.fill(reduced, true);
    } else {
      for (long a : axes) reduced[(int) (a < 0 ? a + s0.size() : a)] = true;
    }
    List<SymDim> r = new ArrayList<>();
    for (int i = 0; i < s0.size(); i++) {
      if (!reduced[i]) r.add(s0.get(i));
      else if (keep) r.add(SymDim.of(1));
    }
    set(out, r, t0);
  }

  private void split(NodeProto n, List<SymDim> s0, Integer t0) {
    int count = n.getOutputCount();
    if (s0 == null) {
      for (String o : n.getOutputList()) set(o, null, t0);
      return;
    }
    int axis = (int) clampAxis(intAttr(n, "axis", 0), s0.size());
    long[] sizes = n.getInputCount() > 1 && !n.getInput(1).isEmpty() ? constants(n.getInput(1)) : null;
    for (int k = 0; k < count; k++) {
      List<SymDim> r = new ArrayList<>(s0);
      SymDim d;
      if (sizes != null && sizes.length == count) {
        d = SymDim.of(sizes[k]);
      } else if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
        d = freshDim();
      } else if (s0.get(axis).isConstant() && s0.get(axis).coef() % count == 0) {
        d = SymDim.of(s0.get(axis).coef() / count);
      } else {
        d = s0.get(axis).dividedBy(SymDim.of(count)).orElse(freshDim());
      }
      r.set(axis, d);
      set(n.getOutput(k), r, t0);
    }
  }

  static long intAttr(NodeProto n, String name, long dflt) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) return a.getI();
    }
    return dflt;
  }

  static long[] intsAttr(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }
    return null;
  }
}
