package org.moellava.export.onnx.handlers;

import static org.moellava.export.onnx.handlers.ConversionContext.one;

import java.util.List;
import java.util.Map;
import org.moellava.export.onnx.graph.ConstTensor;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.tf.TfNode;
import org.moellava.export.onnx.tf.TfTensors;
import org.moellava.export.onnx.tf.TfTypes;

/** Constants, identities, casts and element-wise math: one ONNX op per TF op wherever possible. */
final class ElementwiseHandlers {
  private ElementwiseHandlers() {}

  /** TF unary op to the ONNX op with the same semantics. */
  private static final Map<String, String> UNARY = Map.ofEntries(
      Map.entry("Neg", "Neg"), Map.entry("Exp", "Exp"), Map.entry("Log", "Log"), Map.entry("Sqrt", "Sqrt"),
      Map.entry("Erf", "Erf"), Map.entry("Sigmoid", "Sigmoid"), Map.entry("Tanh", "Tanh"),
      Map.entry("Sin", "Sin"), Map.entry("Cos", "Cos"), Map.entry("Abs", "Abs"), Map.entry("Relu", "Relu"),
      Map.entry("Reciprocal", "Reciprocal"), Map.entry("Floor", "Floor"), Map.entry("Ceil", "Ceil"),
      Map.entry("LogicalNot", "Not"), Map.entry("Sign", "Sign"));

  /** TF binary op (NumPy broadcasting) to the ONNX op with the same semantics. */
  private static final Map<String, String> BINARY = Map.ofEntries(
      Map.entry("Add", "Add"), Map.entry("AddV2", "Add"), Map.entry("Sub", "Sub"), Map.entry("Mul", "Mul"),
      Map.entry("RealDiv", "Div"), Map.entry("Pow", "Pow"), Map.entry("Maximum", "Max"),
      Map.entry("Minimum", "Min"), Map.entry("Equal", "Equal"), Map.entry("Less", "Less"),
      Map.entry("Greater", "Greater"), Map.entry("LessEqual", "LessOrEqual"),
      Map.entry("GreaterEqual", "GreaterOrEqual"), Map.entry("LogicalAnd", "And"),
      Map.entry("LogicalOr", "Or"));

  /** TF ops that only forward their first input. */
  private static final List<String> ALIASES = List.of("Identity", "StopGradient", "Snapshot",
      "PreventGradient");

  static void register(OpHandlerRegistry r) {
    r.register("Const", ElementwiseHandlers::constant);
    ALIASES.forEach(op -> r.register(op, (n, ctx) -> one(ctx.input(n, 0))));
    UNARY.forEach((tf, onnx) -> r.register(tf, (n, ctx) ->
        one(ctx.onnx().node(onnx).input(ctx.input(n, 0)).output(n.name()))));
    BINARY.forEach((tf, onnx) -> r.register(tf, (n, ctx) ->
        one(ctx.onnx().node(onnx).inputs(ctx.input(n, 0), ctx.input(n, 1)).output(n.name()))));
    r.register("AddN", ElementwiseHandlers::addN);
    r.register("NotEqual", ElementwiseHandlers::notEqual);
    r.register("Div", ElementwiseHandlers::floatDiv);
    r.register("Square", (n, ctx) ->
        one(ctx.onnx().node("Mul").inputs(ctx.input(n, 0), ctx.input(n, 0)).output(n.name())));
    r.register("Rsqrt", ElementwiseHandlers::rsqrt);
    r.register("Cast", ElementwiseHandlers::cast);
    r.register("SelectV2", ElementwiseHandlers::where);
    r.register("Select", ElementwiseHandlers::select);
    r.register("ZerosLike", (n, ctx) -> filledLike(n, ctx, 0));
    r.register("OnesLike", (n, ctx) -> filledLike(n, ctx, 1));
  }

  private static List<String> constant(TfNode n, ConversionContext ctx) {
    org.tensorflow.proto.TensorProto value = n.attr("value")
        .orElseThrow(() -> ctx.fail(n, "Const without a value")).getTensor();
    ConstTensor c = TfTensors.decode(value, "graph " + ctx.graphName() + ", Const '" + n.name() + "'");
    return one(ctx.onnx().initializer(n.name(), c));
  }

  /** AddN(x_1 .. x_n), all of one shape: ONNX Sum, which adds its inputs in order. */
  private static List<String> addN(TfNode n, ConversionContext ctx) {
    if (n.inputs().size() == 1) return one(ctx.input(n, 0));
    String[] terms = new String[n.inputs().size()];
    for (int i = 0; i < terms.length; i++) terms[i] = ctx.input(n, i);
    return one(ctx.onnx().node("Sum").inputs(terms).output(n.name()));
  }

  private static List<String> notEqual(TfNode n, ConversionContext ctx) {
    String eq = ctx.onnx().node("Equal").inputs(ctx.input(n, 0), ctx.input(n, 1)).output(n.name() + "/eq");
    return one(ctx.onnx().node("Not").input(eq).output(n.name()));
  }

  /** TF Div equals ONNX Div for floating point only (integer Div rounding differs between the two). */
  private static List<String> floatDiv(TfNode n, ConversionContext ctx) {
    int type = ctx.inputType(n, 0);
    if (type != TensorProto.DataType.FLOAT_VALUE && type != TensorProto.DataType.DOUBLE_VALUE
        && type != TensorProto.DataType.FLOAT16_VALUE) {
      throw ctx.fail(n, "integer Div is not supported (rounding differs from ONNX Div)");
    }
    return one(ctx.onnx().node("Div").inputs(ctx.input(n, 0), ctx.input(n, 1)).output(n.name()));
  }

  private static List<String> rsqrt(TfNode n, ConversionContext ctx) {
    String sqrt = ctx.onnx().node("Sqrt").input(ctx.input(n, 0)).output(n.name() + "/sqrt");
    return one(ctx.onnx().node("Reciprocal").input(sqrt).output(n.name()));
  }

  private static List<String> cast(TfNode n, ConversionContext ctx) {
    int to = TfTypes.onnxElemType(n.typeAttr("DstT").orElseThrow(() -> ctx.fail(n, "Cast without DstT")),
        "graph " + ctx.graphName() + ", Cast '" + n.name() + "'");
    int from = ctx.inputType(n, 0);
    if (from == to) return one(ctx.input(n, 0));
    return one(ctx.onnx().node("Cast").input(ctx.input(n, 0)).attr("to", (long) to).output(n.name()));
  }

  private static List<String> where(TfNode n, ConversionContext ctx) {
    return one(ctx.onnx().node("Where").inputs(ctx.input(n, 0), ctx.input(n, 1), ctx.input(n, 2))
        .output(n.name()));
  }

  /** TF Select: a rank-1 condition picks whole rows of higher-rank x/y; otherwise shapes match. */
  private static List<String> select(TfNode n, ConversionContext ctx) {
    int condRank = ctx.rank(n, 0);
    int valueRank = ctx.rank(n, 1);
    String cond = ctx.input(n, 0);
    if (condRank == 1 && valueRank > 1) {
      long[] axes = new long[valueRank - 1];
      for (int i = 0; i < axes.length; i++) axes[i] = i + 1;
      cond = ctx.onnx().node("Unsqueeze").input(cond).input(ctx.longs(n.name() + "/axes", axes))
          .output(n.name() + "/cond");
    } else if (condRank != valueRank) {
      throw ctx.fail(n, "condition rank " + condRank + " must be 1 or equal the value rank " + valueRank);
    }
    return one(ctx.onnx().node("Where").inputs(cond, ctx.input(n, 1), ctx.input(n, 2)).output(n.name()));
  }

  private static List<String> filledLike(TfNode n, ConversionContext ctx, double value) {
    int type = ctx.inputType(n, 0);
    String shape = ctx.onnx().node("Shape").input(ctx.input(n, 0)).output(n.name() + "/shape");
    TensorProto fill = ConstTensor.scalarOf(type, value).reshape(1).toOnnx("value");
    return one(ctx.onnx().node("ConstantOfShape").input(shape).attr("value", fill).output(n.name()));
  }
}
