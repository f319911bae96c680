package org.moellava.export.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.TensorShapeProto;
import org.moellava.export.onnx.proto.TypeProto;
import org.moellava.export.onnx.proto.ValueInfoProto;
import org.moellava.export.precision.Fp16Converter;

/**
 * An fp16 RMSNorm keeps its statistics in fp32: its square is an fp32 node reading the fp32 input (the check that
 * fails when the converter narrows it), and on a row of small activations (|x| about 1e-3, whose squares are
 * subnormal in fp16) the converted graph, run on ONNX Runtime, stays within fp16's rounding of a plain-Java double
 * reference of {@code (x / sqrt(mean(x^2) + eps)) W}.
 */
class Fp16NormStatisticsTest {
  private static final int D = 64;
  private static final double EPS = 1e-6;

  @Test
  void rmsNormOfSmallActivationsStaysWithinFp16Rounding() throws Exception {
    Random rnd = new Random(3);
    float[] x = new float[2 * D]; // [2, D]: row 0 small activations, row 1 of order 1
    for (int i = 0; i < D; i++) x[i] = (float) ((rnd.nextDouble() * 2 - 1) * 2e-3);
    for (int i = D; i < 2 * D; i++) x[i] = (float) rnd.nextGaussian();
    float[] w = new float[D * D]; // [D, D]
    for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() / Math.sqrt(D));

    ModelProto fp16 = Fp16Converter.convert(rmsNormThenMatMul(w), Set.of());
    NodeProto square = fp16.getGraph().getNodeList().stream().filter(n -> n.getName().equals("square"))
        .findFirst().orElseThrow();
    assertEquals(List.of("x", "x"), square.getInputList(), "the square reads the fp32 input, not an fp16 copy");
    List<Arrays2> out = Backends.runOrt(fp16, List.of(Feed.floats("x", new long[] {2, D}, x)), List.of("y"));

    double[] expected = reference(x, w); // [2, D]
    for (int row = 0; row < 2; row++) {
      double maxRef = 0;
      double maxErr = 0;
      for (int j = 0; j < D; j++) {
        maxRef = Math.max(maxRef, Math.abs(expected[row * D + j]));
        maxErr = Math.max(maxErr, Math.abs(expected[row * D + j] - out.get(0).values()[row * D + j]));
      }
      // fp16 rounds the normalised row and W (2^-11 each) and the product: a few 1e-3 of the row's largest value
      assertTrue(maxErr / maxRef < 3e-3, "row " + row + ": max error " + maxErr / maxRef + " of the largest value");
    }
  }

  /** {@code y = (x / sqrt(mean(x^2, -1) + eps)) @ W} in double. */
  private static double[] reference(float[] x, float[] w) {
    double[] y = new double[2 * D];
    for (int row = 0; row < 2; row++) {
      double ms = 0;
      for (int i = 0; i < D; i++) ms += (double) x[row * D + i] * x[row * D + i];
      double inv = 1 / Math.sqrt(ms / D + EPS);
      for (int j = 0; j < D; j++) {
        double s = 0;
        for (int i = 0; i < D; i++) s += x[row * D + i] * inv * w[i * D + j];
        y[row * D + j] = s;
      }
    }
    return y;
  }

  /** The RMSNorm as the converter emits it: Mul(x, x), ReduceMean, Add eps, Sqrt, Reciprocal, Mul, then MatMul W. */
  private static ModelProto rmsNormThenMatMul(float[] w) {
    GraphProto g = GraphProto.newBuilder().setName("rms")
        .addInput(floatInput("x", 2, D))
        .addOutput(floatInput("y", 2, D))
        .addInitializer(floats("W", w, D, D))
        .addInitializer(floats("eps", new float[] {(float) EPS}))
        .addNode(node("Mul", "square", List.of("x", "x"), "sq"))
        .addNode(node("ReduceMean", "mean", List.of("sq"), "ms").toBuilder()
            .addAttribute(AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS)
                .addInts(-1))
            .addAttribute(AttributeProto.newBuilder().setName("keepdims").setType(AttributeProto.AttributeType.INT)
                .setI(1)).build())
        .addNode(node("Add", "add_eps", List.of("ms", "eps"), "var"))
        .addNode(node("Sqrt", "sqrt", List.of("var"), "rms"))
        .addNode(node("Reciprocal", "inv", List.of("rms"), "inv_rms"))
        .addNode(node("Mul", "normalise", List.of("x", "inv_rms"), "normed"))
        .addNode(node("MatMul", "project", List.of("normed", "W"), "y"))
        .build();
    return ModelProto.newBuilder().setIrVersion(8).setGraph(g)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).build();
  }

  private static NodeProto node(String op, String name, List<String> inputs, String output) {
    return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addOutput(output).build();
  }

  private static ValueInfoProto floatInput(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
  }

  private static TensorProto floats(String name, float[] values, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(com.google.protobuf.ByteString.copyFrom(b.array()));
    for (long d : dims) t.addDims(d);
    return t.build();
  }
}
