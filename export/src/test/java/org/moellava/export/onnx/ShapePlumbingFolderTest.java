package org.moellava.export.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.moellava.export.onnx.optimize.CastEliminator;
import org.moellava.export.onnx.optimize.DeadNodeEliminator;
import org.moellava.export.onnx.optimize.IdentityEliminator;
import org.moellava.export.onnx.optimize.LinearReshapeFolder;
import org.moellava.export.onnx.optimize.OnnxOptimizer;
import org.moellava.export.onnx.optimize.ReshapeSimplifier;
import org.moellava.export.onnx.optimize.RmsNormCanonicalizer;
import org.moellava.export.onnx.optimize.ShapeMathWidener;
import org.moellava.export.onnx.optimize.ShapePlumbingFolder;
import org.moellava.export.onnx.optimize.ShapeValueFolder;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.TensorShapeProto;
import org.moellava.export.onnx.proto.TypeProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/**
 * The shape-plumbing passes on small hand-built graphs with symbolic dims: each graph is run in ONNX Runtime
 * before and after, on several input shapes, and must give the same outputs; the node counts say what was cut,
 * and graphs where a rewrite would be unsound must keep their nodes.
 */
class ShapePlumbingFolderTest {
  private static final int F32 = TensorProto.DataType.FLOAT_VALUE;
  private static final int I32 = TensorProto.DataType.INT32_VALUE;
  private static final int I64 = TensorProto.DataType.INT64_VALUE;

  @Test
  void reshapeTargetFromShapeMathBecomesConstantWithCopiedDims() throws OrtException {
    // x [b, s, 8] -> Reshape to [b, s, 2, 4], the target computed TF-style in int32 from Shape(x)
    Graph g = new Graph().input("x", F32, "b", "s", 8L).output("y", F32);
    g.node("Shape", List.of("x"), "shape").node("Cast", List.of("shape"), "shape32", attr("to", I32));
    g.ints("i0", I32, false, 0).ints("i1", I32, false, 1).ints("ax", I64, true, 0).ints("tail", I32, true, 2, 4);
    g.node("Gather", List.of("shape32", "i0"), "b32").node("Gather", List.of("shape32", "i1"), "s32");
    g.node("Unsqueeze", List.of("b32", "ax"), "b1").node("Unsqueeze", List.of("s32", "ax"), "s1");
    g.node("Concat", List.of("b1", "s1", "tail"), "target32", attr("axis", 0));
    g.node("Cast", List.of("target32"), "target", attr("to", I64));
    g.node("Reshape", List.of("x", "target"), "y");
    GraphProto after = assertSameOutputs(g.build(), new ShapePlumbingFolder(), "y",
        List.of(new long[] {1, 1, 8}, new long[] {2, 3, 8}, new long[] {0, 3, 8}));
    assertEquals(Map.of("Reshape", 1L), opCounts(after));
    assertArrayEquals(new long[] {0, 0, 2, 4}, initializerValues(after, after.getNode(0).getInput(1)));
  }

  @Test
  void denseLayerFlattenAndUnflattenFold() throws OrtException {
    // x [b, s, 4] -> [-1, 4] -> MatMul W [4, 3] -> Add b [3] -> Reshape to Shape(x)[0:2] ++ [3]
    Graph g = new Graph().input("x", F32, "b", "s", 4L).output("y", F32);
    g.floats("w", new long[] {4, 3}, 12).floats("bias", new long[] {3}, 3);
    g.ints("flat", I64, true, -1, 4).ints("zero", I64, true, 0).ints("two", I64, true, 2).ints("n", I64, true, 3);
    g.node("Reshape", List.of("x", "flat"), "x2").node("MatMul", List.of("x2", "w"), "mm");
    g.node("Add", List.of("mm", "bias"), "biased");
    g.node("Shape", List.of("x"), "shape").node("Slice", List.of("shape", "zero", "two"), "lead");
    g.node("Concat", List.of("lead", "n"), "target", attr("axis", 0));
    g.node("Reshape", List.of("biased", "target"), "y");
    GraphProto after = assertSameOutputs(g.build(), new ShapePlumbingFolder(), "y",
        List.of(new long[] {1, 1, 4}, new long[] {2, 5, 4}, new long[] {0, 2, 4}));
    assertEquals(Map.of("MatMul", 1L, "Add", 1L), opCounts(after));
    assertEquals("x", after.getNode(0).getInput(0), "the MatMul reads x [b, s, 4] directly");
  }

  @Test
  void reshapeNeedingMinusOneBesideACopiedDimKeepsItsRuntimeTarget() throws OrtException {
    // x [b, 4, s, 2] -> [b, 2, 2*s, 2] (grouped heads): [0, 2, -1, 2] would fail for b = 0, so it stays. (Not run
    // with b = 0: ONNX Runtime's own ReshapeFusion makes that very target out of the original graph and fails.)
    Graph g = new Graph().input("x", F32, "b", 4L, "s", 2L).output("y", F32);
    g.ints("i0", I64, false, 0).ints("i2", I64, false, 2).ints("ax", I64, true, 0).ints("two", I64, false, 2);
    g.ints("c2", I64, true, 2);
    g.node("Shape", List.of("x"), "shape");
    g.node("Gather", List.of("shape", "i0"), "b0").node("Gather", List.of("shape", "i2"), "s0");
    g.node("Mul", List.of("s0", "two"), "s2");
    g.node("Unsqueeze", List.of("b0", "ax"), "b1").node("Unsqueeze", List.of("s2", "ax"), "s1");
    g.node("Concat", List.of("b1", "c2", "s1", "c2"), "target", attr("axis", 0));
    g.node("Reshape", List.of("x", "target"), "y");
    GraphProto after = assertSameOutputs(g.build(), new ShapePlumbingFolder(), "y",
        List.of(new long[] {1, 4, 3, 2}, new long[] {2, 4, 1, 2}));
    assertEquals(1L, opCounts(after).get("Shape"), "the target is still computed at runtime");
  }

  @Test
  void reshapeOfReshapeAndOfOrderKeepingTransposeReadTheSource() throws OrtException {
    // x [1, n] -> Transpose [n, 1] -> Reshape [-1]: the Transpose moves only a 1, so the Reshape reads x
    Graph g = new Graph().input("x", F32, 1L, "n").input("z", F32, 2L, "m").output("y", F32).output("w", F32);
    g.ints("flat", I64, true, -1).ints("mid", I64, true, -1, 1);
    g.node("Transpose", List.of("x"), "xt", attrs("perm", 1, 0)).node("Reshape", List.of("xt", "flat"), "y");
    // z [2, m] -> Transpose [m, 2] really reorders: the Reshape must keep reading the Transpose
    g.node("Transpose", List.of("z"), "zt", attrs("perm", 1, 0)).node("Reshape", List.of("zt", "mid"), "zr");
    g.node("Reshape", List.of("zr", "flat"), "w");
    GraphProto after = new ShapePlumbingFolder().optimize(g.build());
    assertSameOutputs(g.build(), after, List.of("y", "w"), List.of(new long[] {1, 5}, new long[] {2, 3}),
        List.of(new long[] {1, 1}, new long[] {2, 4}));
    assertEquals(Map.of("Reshape", 2L, "Transpose", 1L), opCounts(after));
    NodeProto w = after.getNodeList().stream().filter(n -> n.getOutput(0).equals("w")).findFirst().orElseThrow();
    assertEquals("zt", w.getInput(0), "the Reshape of a Reshape reads the inner one's input, not z");
  }

  @Test
  void int32RoundTripOfDimsIsDroppedButOfDataIsKept() throws OrtException {
    // dims: Shape (int64) -> Cast int32 -> Cast int64 is the same tensor; data: 5e9 does not fit int32
    Graph g = new Graph().input("x", F32, "b", 3L).output("dims", I64).output("data", F32);
    g.node("Shape", List.of("x"), "shape").node("Cast", List.of("shape"), "s32", attr("to", I32));
    g.node("Cast", List.of("s32"), "s64", attr("to", I64)).node("Identity", List.of("s64"), "dims");
    g.node("Cast", List.of("x"), "x64", attr("to", I64)).node("Cast", List.of("x64"), "x32", attr("to", I32));
    g.node("Cast", List.of("x32"), "x64b", attr("to", I64)).node("Cast", List.of("x64b"), "data", attr("to", F32));
    GraphProto after = new CastEliminator().optimize(g.build());
    List<Feed> feeds = List.of(Feed.floats("x", new long[] {2, 3}, new float[] {1, 2, 3, 5e9f, -7e9f, 6}));
    List<Arrays2> expected = runOrt(g.build(), feeds, List.of("dims", "data"));
    List<Arrays2> actual = runOrt(after, feeds, List.of("dims", "data"));
    for (int i = 0; i < 2; i++) Arrays2.assertClose("output " + i, expected.get(i), actual.get(i), 0);
    assertNotEquals(5e9, expected.get(1).values()[3], "the original truncates 5e9 to int32");
    assertEquals(4L, opCounts(new ShapePlumbingFolder().optimize(g.build())).get("Cast"),
        "the data's four Casts stay; the dims' pair goes");
  }

  @Test
  void int32ShapeMathIsWidenedExceptWhereAnOpNeedsInt32() throws OrtException {
    // Shape -> Cast int32 -> Gather -> Add 1 -> {Unsqueeze -> Cast int64 -> Expand target, Range (int32 only)}
    Graph g = new Graph().input("x", F32, "n", 2L).output("e", F32).output("r", I32);
    g.ints("i0", I32, false, 0).ints("one", I32, false, 1).ints("zero", I32, false, 0).ints("ax", I64, true, 0);
    g.node("Shape", List.of("x"), "shape").node("Cast", List.of("shape"), "s32", attr("to", I32));
    g.node("Gather", List.of("s32", "i0"), "n32").node("Add", List.of("n32", "one"), "n1");
    g.node("Unsqueeze", List.of("n1", "ax"), "u").node("Cast", List.of("u"), "u64", attr("to", I64));
    g.floats("c", new long[] {1}, 1).node("Expand", List.of("c", "u64"), "e");
    g.node("Range", List.of("zero", "n1", "one"), "r");
    GraphProto widened = new ShapeMathWidener().optimize(g.build());
    assertSameOutputs(g.build(), widened, List.of("e", "r"), List.of(new long[] {3, 2}, new long[] {1, 2}));
    assertEquals(opCounts(g.build()), opCounts(widened), "n1 feeds Range, so nothing upstream is widened");
    // without the Range everything up to Expand is int64 and both Casts go
    Graph h = new Graph().input("x", F32, "n", 2L).output("e", F32);
    h.ints("i0", I32, false, 0).ints("one", I32, false, 1).ints("ax", I64, true, 0);
    h.node("Shape", List.of("x"), "shape").node("Cast", List.of("shape"), "s32", attr("to", I32));
    h.node("Gather", List.of("s32", "i0"), "n32").node("Add", List.of("n32", "one"), "n1");
    h.node("Unsqueeze", List.of("n1", "ax"), "u").node("Cast", List.of("u"), "u64", attr("to", I64));
    h.floats("c", new long[] {1}, 1).node("Expand", List.of("c", "u64"), "e");
    GraphProto after = assertSameOutputs(h.build(), new ShapePlumbingFolder(), "e",
        List.of(new long[] {3, 2}, new long[] {1, 2}));
    assertFalse(opCounts(after).containsKey("Cast"), opCounts(after).toString());
  }

  @Test
  void staticDimOfAPartlySymbolicShapeIsFolded() throws OrtException {
    Graph g = new Graph().input("x", F32, "b", 6L).output("y", F32);
    g.ints("i1", I64, false, 1).ints("ax", I64, true, 0).ints("m1", I64, true, -1);
    g.node("Shape", List.of("x"), "shape").node("Gather", List.of("shape", "i1"), "d");
    g.node("Unsqueeze", List.of("d", "ax"), "d1").node("Concat", List.of("m1", "d1"), "t", attr("axis", 0));
    g.node("Reshape", List.of("x", "t"), "y");
    GraphProto after = new ShapeValueFolder().optimize(g.build());
    assertSameOutputs(g.build(), after, List.of("y"), List.of(new long[] {2, 6}));
    assertArrayEquals(new long[] {-1, 6}, initializerValues(after, "t"));
    assertEquals(Map.of("Reshape", 1L), opCounts(new ShapePlumbingFolder().optimize(g.build())));
  }

  @Test
  void linearFoldNeedsTheTargetToMatchTheInputsLeadingDims() throws OrtException {
    // the unflatten target is Shape(other) ++ [3], a different tensor: not provably x's leading dims, kept
    Graph g = new Graph().input("x", F32, "b", "s", 4L).input("o", F32, "b", "s").output("y", F32);
    g.floats("w", new long[] {4, 3}, 12).ints("flat", I64, true, -1, 4).ints("n", I64, true, 3);
    g.node("Reshape", List.of("x", "flat"), "x2").node("MatMul", List.of("x2", "w"), "mm");
    g.node("Shape", List.of("o"), "lead").node("Concat", List.of("lead", "n"), "target", attr("axis", 0));
    g.node("Reshape", List.of("mm", "target"), "y");
    GraphProto after = new LinearReshapeFolder().optimize(g.build());
    assertEquals(opCounts(g.build()), opCounts(after));
    assertSameOutputs(g.build(), new ReshapeSimplifier().optimize(g.build()), List.of("y"),
        List.of(new long[] {2, 3, 4}, new long[] {2, 3}));
  }

  @Test
  void negativeIndexGuardGoesOnlyForIndicesKnownNonNegative() throws OrtException {
    // ids = NonZero(x > 0) flattened: never negative, so Where(ids < 0, 7, ids) is ids; the same guard on
    // Cast(x) (any sign) must stay
    Graph g = new Graph().input("x", F32, "n").output("a", F32).output("b", F32);
    g.floats("zf", new long[] {1}, 1).ints("z", I64, true, 0).ints("seven", I64, true, 7)
        .ints("flat", I64, true, -1);
    g.node("Greater", List.of("x", "zf"), "pos").node("NonZero", List.of("pos"), "nz");
    g.node("Reshape", List.of("nz", "flat"), "ids").node("Less", List.of("ids", "z"), "neg");
    g.node("Where", List.of("neg", "seven", "ids"), "guarded").node("Cast", List.of("guarded"), "a", attr("to", F32));
    g.node("Cast", List.of("x"), "xi", attr("to", I64)).node("Less", List.of("xi", "z"), "neg2");
    g.node("Where", List.of("neg2", "seven", "xi"), "guarded2").node("Cast", List.of("guarded2"), "b",
        attr("to", F32));
    GraphProto after = new ShapePlumbingFolder().optimize(g.build());
    assertSameOutputs(g.build(), after, List.of("a", "b"), List.of(new long[] {6}), List.of(new long[] {1}));
    assertEquals(1L, opCounts(after).get("Where"), opCounts(after).toString());
    assertEquals(1L, opCounts(after).get("Less"), opCounts(after).toString());
  }

  @Test
  void outputIdentityWhoseInputIsAlsoReadIsFoldedWhenAsked() throws OrtException {
    // s = x + x is both graph output "present" (through an Identity) and read by the Mul; "twice" already names s
    Graph g = new Graph().input("x", F32, "n").output("present", F32).output("y", F32).output("copy", F32);
    g.node("Add", List.of("x", "x"), "s").node("Identity", List.of("s"), "present");
    g.node("Mul", List.of("s", "s"), "y").node("Identity", List.of("s"), "copy");
    GraphProto before = g.build();
    GraphProto after = new IdentityEliminator(true).optimize(before);
    assertSameOutputs(before, after, List.of("present", "y", "copy"), List.of(new long[] {5}));
    assertEquals(1L, opCounts(after).get("Add"));
    assertEquals("present", after.getNode(0).getOutput(0), "the Add now writes the graph output");
    assertEquals(List.of("present", "present"), after.getNode(1).getInputList());
    assertEquals(2, new IdentityEliminator().optimize(before).getNodeList().stream()
        .filter(n -> n.getOpType().equals("Identity")).count(), "without sharedOutputs both Identities stay");
  }

  @Test
  void rmsNormIsWrittenInTheFormOrtFuses() throws OrtException {
    Graph g = new Graph().input("x", F32, "b", 8L).output("y", F32).output("other", F32);
    g.floats("eps", new long[] {}, 1).floats("w", new long[] {8}, 8);
    g.node("Mul", List.of("x", "x"), "sq").node("ReduceMean", List.of("sq"), "m", attrs("axes", -1));
    g.node("Add", List.of("m", "eps"), "a").node("Sqrt", List.of("a"), "r").node("Reciprocal", List.of("r"), "rr");
    g.node("Mul", List.of("x", "rr"), "n").node("Mul", List.of("w", "n"), "y");
    // a reciprocal product outside a norm is left as it is
    g.node("Sqrt", List.of("x"), "rx").node("Reciprocal", List.of("rx"), "rrx").node("Mul", List.of("x", "rrx"),
        "other");
    GraphProto after = new DeadNodeEliminator().optimize(new RmsNormCanonicalizer().optimize(g.build()));
    Map<String, Long> ops = opCounts(after);
    assertEquals(1L, ops.get("Pow"), ops.toString());
    assertEquals(1L, ops.get("Div"), ops.toString());
    assertEquals(1L, ops.get("Reciprocal"), ops.toString());
    List<long[]> shapes = List.of(new long[] {3, 8});
    Random rnd = new Random(5);
    float[] x = Arrays2.randomFloats(rnd, 24);
    x[0] = Math.abs(x[0]); // Sqrt(x) of the other branch is NaN for negatives on both sides alike
    List<Feed> feeds = List.of(Feed.floats("x", new long[] {3, 8}, x));
    List<Arrays2> expected = runOrt(g.build(), feeds, List.of("y"));
    List<Arrays2> actual = runOrt(after, feeds, List.of("y"));
    Arrays2.assertClose("y", expected.get(0), actual.get(0), 1e-6); // x / s against x * (1 / s): an ulp or so
    assertEquals(shapes.get(0)[1], actual.get(0).shape()[1]);
  }

  @Test
  void castOfAnOpThatChangesTheTypeStays() throws OrtException {
    // IsNaN(x) is bool: the Cast to float is not a no-op, whatever x's type
    Graph g = new Graph().input("x", F32, "n").output("y", F32);
    g.node("IsNaN", List.of("x"), "nan").node("Cast", List.of("nan"), "nanf", attr("to", F32));
    g.node("Add", List.of("nanf", "x"), "y");
    GraphProto after = new ShapePlumbingFolder().optimize(new CastEliminator().optimize(g.build()));
    assertEquals(1L, opCounts(after).get("Cast"));
    assertSameOutputs(g.build(), after, List.of("y"), List.of(new long[] {4}));
  }

  // ---- helpers ----

  /** Runs {@code pass} and checks equal outputs on inputs of the given shapes (x, then its one-input graph). */
  private static GraphProto assertSameOutputs(GraphProto before, OnnxOptimizer pass, String output,
      List<long[]> shapes) throws OrtException {
    GraphProto after = pass.optimize(before);
    for (long[] s : shapes) assertSameOutputs(before, after, List.of(output), List.of(s));
    return after;
  }

  /** Feeds every graph input (in order) a random tensor of the given shape and compares the outputs. */
  private static void assertSameOutputs(GraphProto before, GraphProto after, List<String> outputs,
      List<long[]>... shapeSets) throws OrtException {
    Random rnd = new Random(11);
    for (List<long[]> shapes : shapeSets) {
      List<Feed> feeds = new ArrayList<>();
      for (int i = 0; i < before.getInputCount(); i++) {
        long[] s = shapes.get(i);
        feeds.add(Feed.floats(before.getInput(i).getName(), s,
            Arrays2.randomFloats(rnd, (int) java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b))));
      }
      List<Arrays2> expected = runOrt(before, feeds, outputs);
      List<Arrays2> actual = runOrt(after, feeds, outputs);
      for (int i = 0; i < outputs.size(); i++) {
        Arrays2.assertClose(outputs.get(i) + " " + java.util.Arrays.toString(shapes.get(0)), expected.get(i),
            actual.get(i), 1e-6);
      }
    }
    assertNotEquals(0, after.getNodeCount());
  }

  private static void assertSameOutputs(GraphProto before, GraphProto after, List<String> outputs,
      List<long[]> shapes) throws OrtException {
    @SuppressWarnings("unchecked")
    List<long[]>[] one = new List[] {shapes};
    assertSameOutputs(before, after, outputs, one);
  }

  private static List<Arrays2> runOrt(GraphProto g, List<Feed> feeds, List<String> outputs) throws OrtException {
    ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
    return Backends.runOrt(m, feeds, outputs);
  }

  private static Map<String, Long> opCounts(GraphProto g) {
    return g.getNodeList().stream().filter(n -> !n.getOpType().equals("Identity"))
        .collect(Collectors.groupingBy(NodeProto::getOpType, Collectors.counting()));
  }

  private static long[] initializerValues(GraphProto g, String name) {
    for (TensorProto t : g.getInitializerList()) {
      if (t.getName().equals(name)) {
        assertTrue(t.getDataType() == I64 && t.getRawData().isEmpty(), "int64_data initializer " + name);
        return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
      }
    }
    throw new AssertionError("no initializer " + name);
  }

  private static AttributeProto attr(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  private static AttributeProto attrs(String name, long... v) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long x : v) b.addInts(x);
    return b.build();
  }

  /** A graph under construction: float inputs with symbolic (String) or static (Long) dims. */
  private static final class Graph {
    private final GraphProto.Builder g = GraphProto.newBuilder().setName("t");

    Graph input(String name, int type, Object... dims) {
      TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
      for (Object d : dims) {
        s.addDim(d instanceof Long l ? TensorShapeProto.Dimension.newBuilder().setDimValue(l)
            : TensorShapeProto.Dimension.newBuilder().setDimParam((String) d));
      }
      g.addInput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
          TypeProto.Tensor.newBuilder().setElemType(type).setShape(s))));
      return this;
    }

    Graph output(String name, int type) {
      g.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
          TypeProto.Tensor.newBuilder().setElemType(type))));
      return this;
    }

    Graph ints(String name, int type, boolean vector, long... values) {
      TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type);
      if (vector) t.addDims(values.length);
      for (long v : values) {
        if (type == I64) t.addInt64Data(v);
        else t.addInt32Data((int) v);
      }
      g.addInitializer(t);
      return this;
    }

    Graph floats(String name, long[] shape, int count) {
      TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(F32);
      for (long d : shape) t.addDims(d);
      for (int i = 0; i < count; i++) t.addFloatData((float) Math.sin(i + 1));
      g.addInitializer(t);
      return this;
    }

    Graph node(String op, List<String> inputs, String output, AttributeProto... attrs) {
      NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(output + "/" + op).addAllInput(inputs)
          .addOutput(output);
      for (AttributeProto a : attrs) n.addAttribute(a);
      g.addNode(n);
      return this;
    }

    GraphProto build() {
      return g.build();
    }
  }
}
