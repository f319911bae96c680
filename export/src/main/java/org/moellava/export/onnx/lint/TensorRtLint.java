package org.moellava.export.onnx.lint;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/**
 * Static check of an ONNX model against what TensorRT 10's ONNX parser accepts (docs/architecture.md §5): default
 * opset 9..20, no {@code com.microsoft} (or other custom) domain, TopK {@code sorted=1}, OneHot depth
 * constant, Slice and ReduceMean axes constant, no Unique, and only element types TensorRT has; a
 * {@code DequantizeLinear} (weight-only quantization, {@code --quant-format qdq}) with a constant scale, a constant
 * all-zero zero point if any, an int8 or fp8 input, a per-tensor or per-channel scale whose axis is in range and whose
 * length is that axis' size, and no {@code block_size} (blockwise DQ is opset 21).
 */
public final class TensorRtLint {
  /** Lowest default-domain opset TensorRT 10's parser accepts. */
  public static final int MIN_OPSET = 9;
  /** Highest default-domain opset TensorRT 10's parser accepts. */
  public static final int MAX_OPSET = 20;

  private static final Set<Integer> UNSUPPORTED_TYPES = Set.of(TensorProto.DataType.DOUBLE_VALUE,
      TensorProto.DataType.STRING_VALUE, TensorProto.DataType.COMPLEX64_VALUE,
      TensorProto.DataType.COMPLEX128_VALUE, TensorProto.DataType.INT16_VALUE,
      TensorProto.DataType.UINT16_VALUE, TensorProto.DataType.UINT32_VALUE,
      TensorProto.DataType.UINT64_VALUE);

  private TensorRtLint() {}

  /** Every violation in {@code model}; empty when TensorRT's parser should accept it. */
  public static List<LintViolation> check(ModelProto model) {
    List<LintViolation> out = new ArrayList<>();
    checkOpsets(model, out);
    GraphProto g = model.getGraph();
    Set<String> constants = new HashSet<>();
    Map<String, TensorProto> initializers = new HashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      constants.add(t.getName());
      initializers.put(t.getName(), t);
      checkType(t.getDataType(), "initializer '" + t.getName() + "'", "", out);
    }
    for (ValueInfoProto v : g.getInputList()) checkValueType(v, "input '" + v.getName() + "'", out);
    for (ValueInfoProto v : g.getOutputList()) checkValueType(v, "output '" + v.getName() + "'", out);
    for (ValueInfoProto v : g.getValueInfoList()) checkValueType(v, "value '" + v.getName() + "'", out);
    for (NodeProto n : g.getNodeList()) {
      checkNode(n, constants, out);
      if (n.getOpType().equals("DequantizeLinear") && n.getDomain().isEmpty()) {
        checkDequantize(n, constants, initializers, out);
      }
      if (n.getOpType().equals("Constant") && n.getDomain().isEmpty()) constants.addAll(n.getOutputList());
    }
    return out;
  }

  private static void checkOpsets(ModelProto model, List<LintViolation> out) {
    boolean hasDefault = false;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        hasDefault = true;
        if (o.getVersion() < MIN_OPSET || o.getVersion() > MAX_OPSET) {
          out.add(new LintViolation("model", "", "opset", "default-domain opset " + o.getVersion()
              + " is outside TensorRT's " + MIN_OPSET + ".." + MAX_OPSET));
        }
      } else {
        out.add(new LintViolation("model", "", "custom-domain", "imports domain " + o.getDomain()
            + " which TensorRT's ONNX parser does not implement"));
      }
    }
    if (!hasDefault) out.add(new LintViolation("model", "", "opset", "no default-domain opset import"));
  }

  private static void checkNode(NodeProto n, Set<String> constants, List<LintViolation> out) {
    String where = n.getName().isEmpty() ? "node producing '" + n.getOutput(0) + "'" : n.getName();
    String op = n.getOpType();
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      out.add(new LintViolation(where, op, "custom-domain", "op of domain " + n.getDomain()));
      return;
    }
    switch (op) {
      case "Unique" -> out.add(new LintViolation(where, op, "unique", "Unique is not supported"));
      case "TopK" -> {
        if (intAttr(n, "sorted", 1) != 1) {
          out.add(new LintViolation(where, op, "topk-sorted", "TopK needs sorted=1"));
        }
      }
      case "OneHot" -> requireConstant(n, 1, "depth", "onehot-depth", constants, where, out);
      case "Slice" -> requireConstant(n, 3, "axes", "slice-axes", constants, where, out);
      case "ReduceMean" -> requireConstant(n, 1, "axes", "reducemean-axes", constants, where, out);
      case "Cast" -> checkType((int) intAttr(n, "to", TensorProto.DataType.FLOAT_VALUE), where, op, out);
      default -> { }
    }
    for (AttributeProto a : n.getAttributeList()) {
      if (a.hasT()) checkType(a.getT().getDataType(), where, op, out);
    }
  }

  /** Element types TensorRT's Dequantize layer takes as input: INT8, FP8 (E4M3FN), INT4 (opset 21, not here). */
  private static final Set<Integer> DQ_INPUT_TYPES = Set.of(TensorProto.DataType.INT8_VALUE,
      TensorProto.DataType.FLOAT8E4M3FN_VALUE);

  private static void checkDequantize(NodeProto n, Set<String> constants, Map<String, TensorProto> initializers,
      List<LintViolation> out) {
    String where = n.getName().isEmpty() ? "node producing '" + n.getOutput(0) + "'" : n.getName();
    String op = n.getOpType();
    requireConstant(n, 1, "scale", "dq-scale-constant", constants, where, out);
    requireConstant(n, 2, "zero point", "dq-zero-point-constant", constants, where, out);
    if (intAttr(n, "block_size", 0) != 0) {
      out.add(new LintViolation(where, op, "dq-blockwise", "block_size " + intAttr(n, "block_size", 0)
          + " is blockwise DequantizeLinear (opset 21), which TensorRT 10's parser does not take"));
    }
    TensorProto x = initializers.get(n.getInput(0));
    if (x != null && !DQ_INPUT_TYPES.contains(x.getDataType())) {
      out.add(new LintViolation(where, op, "dq-type", "input '" + x.getName() + "' is "
          + TensorProto.DataType.forNumber(x.getDataType()) + "; TensorRT dequantizes INT8 or FP8 (E4M3FN) only"));
    }
    TensorProto zp = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? initializers.get(n.getInput(2)) : null;
    if (zp != null && !allZero(zp)) {
      out.add(new LintViolation(where, op, "dq-zero-point", "zero point '" + zp.getName()
          + "' is not all zeros; TensorRT quantization is symmetric"));
    }
    TensorProto scale = initializers.get(n.getInput(1));
    if (scale == null || x == null) return;
    long scales = 1;
    for (long d : scale.getDimsList()) scales *= d;
    if (scale.getDimsCount() == 0 || scales == 1 && scale.getDimsCount() <= 1) return; // per tensor
    long axis = intAttr(n, "axis", 1);
    int rank = x.getDimsCount();
    if (scale.getDimsCount() != 1 || axis < -rank || axis >= rank) {
      out.add(new LintViolation(where, op, "dq-axis", "scale dims " + scale.getDimsList() + " with axis " + axis
          + " do not name one axis of the " + rank + "-d input; TensorRT takes per-tensor or per-channel scales"));
      return;
    }
    long size = x.getDims((int) (axis < 0 ? axis + rank : axis));
    if (scales != size) {
      out.add(new LintViolation(where, op, "dq-axis", "scale has " + scales + " elements but axis " + axis
          + " of '" + x.getName() + "' has " + size));
    }
  }

  private static boolean allZero(TensorProto t) {
    if (!t.getRawData().isEmpty()) {
      for (byte b : t.getRawData().toByteArray()) if (b != 0) return false;
      return true;
    }
    for (int v : t.getInt32DataList()) if (v != 0) return false;
    return true;
  }

  private static void requireConstant(NodeProto n, int input, String what, String rule, Set<String> constants,
      String where, List<LintViolation> out) {
    if (n.getInputCount() > input && !n.getInput(input).isEmpty() && !constants.contains(n.getInput(input))) {
      out.add(new LintViolation(where, n.getOpType(), rule, what + " '" + n.getInput(input)
          + "' must be an initializer or Constant"));
    }
  }

  private static void checkValueType(ValueInfoProto v, String where, List<LintViolation> out) {
    if (v.getType().hasTensorType()) {
      checkType(v.getType().getTensorType().getElemType(), where, "", out);
    }
  }

  private static void checkType(int elemType, String where, String op, List<LintViolation> out) {
    if (UNSUPPORTED_TYPES.contains(elemType)) {
      TensorProto.DataType t = TensorProto.DataType.forNumber(elemType);
      out.add(new LintViolation(where, op, "dtype", "element type " + t + " is not supported by TensorRT"));
    }
  }

  private static long intAttr(NodeProto n, String name, long fallback) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) return a.getI();
    }
    return fallback;
  }
}
