package org.moellava.export.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.export.onnx.proto.TensorShapeProto;
import org.moellava.export.onnx.proto.TypeProto;
import org.moellava.export.onnx.proto.ValueInfoProto;

/**
 * Blockwise quantization against a plain-Java double reference, and the packing layout against ONNX Runtime's own
 * {@code MatMulNBits} kernel (one node, compared with a double-precision MatMul of the dequantized weights).
 */
class BlockQuantizerTest {
  static final int K = 256;
  static final int N = 24;

  static List<Arguments> schemes() {
    List<Arguments> out = new java.util.ArrayList<>();
    for (int bits : new int[] {4, 8}) {
      for (int bs : new int[] {32, 64, 128}) {
        for (boolean sym : new boolean[] {true, false}) out.add(Arguments.of(bits, bs, sym));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "int{0} block {1} symmetric {2}")
  @MethodSource("schemes")
  void codesScalesAndZeroPointsEqualTheDoubleReferenceAndRoundTripWithinHalfAStep(int bits, int bs, boolean sym) {
    QuantScheme s = new QuantScheme(bits, bs, sym, 0);
    float[] w = weights(K, N, 7);
    QuantizedMatrix q = BlockQuantizer.quantize("w", FloatBuffer.wrap(w), 0, K, N, s);
    Reference ref = Reference.of(w, K, N, s);
    assertEquals(N * (K / bs) * bs * bits / 8, q.packed().length, "packed bytes");
    float[] deq = q.dequantize();
    for (int c = 0; c < N; c++) {
      for (int b = 0; b < K / bs; b++) {
        assertEquals(ref.scale[c][b], q.scale(c, b), "scale of column " + c + " block " + b);
        assertEquals(ref.zeroPoint[c][b], q.zeroPoint(c, b), "zero point of column " + c + " block " + b);
      }
      for (int r = 0; r < K; r++) {
        assertEquals(ref.code[r][c], q.code(r, c), "code of (" + r + ", " + c + ")");
        double step = ref.scale[c][r / bs];
        double err = Math.abs(deq[r * N + c] - w[r * N + c]);
        assertTrue(err <= step / 2 * (1 + 1e-5) + 1e-12, "(" + r + "," + c + ") error " + err + " > half step " + step);
        assertEquals(ref.dequantized(r, c), deq[r * N + c], 1e-6 * Math.abs(ref.dequantized(r, c)) + 1e-12);
      }
    }
  }

  @ParameterizedTest(name = "int{0} block {1} symmetric {2}")
  @MethodSource("schemes")
  void onnxRuntimeMatMulNBitsEqualsTheDequantizedMatMul(int bits, int bs, boolean sym) throws OrtException {
    QuantScheme s = new QuantScheme(bits, bs, sym, 0);
    float[] w = weights(K, N, 11);
    QuantizedMatrix q = BlockQuantizer.quantize("w", FloatBuffer.wrap(w), 0, K, N, s);
    Reference ref = Reference.of(w, K, N, s);
    int m = 5;
    float[] a = weights(m, K, 13);
    float[] y = runNBits(q, a, m);
    for (int i = 0; i < m; i++) {
      double scale = 0;
      double[] expected = new double[N];
      for (int c = 0; c < N; c++) {
        for (int r = 0; r < K; r++) expected[c] += (double) a[i * K + r] * ref.dequantized(r, c);
        scale = Math.max(scale, Math.abs(expected[c]));
      }
      for (int c = 0; c < N; c++) {
        // fp32 accumulation of K = 256 products: relative error far below 1e-5 of the row's scale
        assertEquals(expected[c], y[i * N + c], 1e-5 * scale, "row " + i + " column " + c);
      }
    }
  }

  @Test
  void accuracyLevel4AndAnEmptyBatchRunOnOnnxRuntime() throws OrtException {
    QuantScheme s = new QuantScheme(4, 32, true, 4);
    float[] w = weights(K, N, 3);
    QuantizedMatrix q = BlockQuantizer.quantize("w", FloatBuffer.wrap(w), 0, K, N, s);
    assertEquals(0, runNBits(q, new float[0], 0).length, "an expert with no tokens: A [0, K]");
    float[] a = weights(3, K, 5);
    float[] y = runNBits(q, a, 3);
    float[] deq = q.dequantize();
    for (int i = 0; i < 3; i++) {
      double scale = 0;
      double[] expected = new double[N];
      for (int c = 0; c < N; c++) {
        for (int r = 0; r < K; r++) expected[c] += (double) a[i * K + r] * deq[r * N + c];
        scale = Math.max(scale, Math.abs(expected[c]));
      }
      // int8 activations (per block of A): about 1/127 relative per product, averaging over K
      for (int c = 0; c < N; c++) assertEquals(expected[c], y[i * N + c], 2e-2 * scale, "row " + i);
    }
  }

  @Test
  void aBlockSizeThatDoesNotDivideKIsRefusedNamingTheTensor() {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> BlockQuantizer.quantize(
        "projector/linear_1/kernel", FloatBuffer.wrap(new float[96 * 4]), 0, 96, 4, new QuantScheme(4, 64, true, 0)));
    assertTrue(e.getMessage().contains("--block-size 64 does not divide K=96 of projector/linear_1/kernel"),
        e.getMessage());
    assertTrue(!e.getMessage().contains("\n"));
  }

  @Test
  void unknownSchemesAndOptionsAreRefused() {
    assertThrows(InvalidInputException.class, () -> QuantScheme.parse("int3", 32, true, 0));
    assertThrows(InvalidInputException.class, () -> QuantScheme.parse("int4", 48, true, 0));
    assertThrows(InvalidInputException.class, () -> QuantScheme.parse("int4", 32, true, 5));
    assertEquals("int4-b32-sym", QuantScheme.parse("int4", 32, true, 0).id());
    assertEquals("int8-b128-asym", QuantScheme.parse("int8", 128, false, 4).id());
  }

  /** Runs one MatMulNBits node on ONNX Runtime's CPU provider: {@code A [m, K] -> Y [m, N]}. */
  static float[] runNBits(QuantizedMatrix q, float[] a, int m) throws OrtException {
    NBitsNodes.Names names = NBitsNodes.Names.of("w");
    GraphProto.Builder g = GraphProto.newBuilder().setName("nbits")
        .addNode(NBitsNodes.matMul("mm", "A", names, q, "Y"))
        .addAllInitializer(NBitsNodes.initializers(names, q))
        .addInput(valueInfo("A", -1, q.k())).addOutput(valueInfo("Y", -1, q.n()));
    ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(NBitsNodes.DOMAIN).setVersion(1))
        .setGraph(g).build();
    return runMatrixModel(model, a, m, q.k(), true);
  }

  /**
   * Runs {@code model} (input {@code A [m, k]}, one float output) on ONNX Runtime's CPU provider with one thread,
   * optimized or not ({@code NO_OPT}), and returns its output.
   */
  static float[] runMatrixModel(ModelProto model, float[] a, int m, int k, boolean optimized) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      if (!optimized) o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      try (OrtSession session = env.createSession(model.toByteArray(), o);
           OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), new long[] {m, k});
           OrtSession.Result r = session.run(Map.of("A", in))) {
        FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
        float[] y = new float[out.remaining()];
        out.get(y);
        return y;
      }
    }
  }

  static ValueInfoProto valueInfo(String name, long rows, long cols) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    shape.addDim(rows < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("m")
        : TensorShapeProto.Dimension.newBuilder().setDimValue(rows));
    shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(cols));
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
  }

  /** Gaussian weights with a different scale per column and a few outliers. */
  static float[] weights(int rows, int cols, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] w = new float[rows * cols];
    for (int i = 0; i < w.length; i++) {
      double colScale = 0.02 * (1 + (i % cols) % 5);
      w[i] = (float) (r.nextGaussian() * colScale * (r.nextInt(50) == 0 ? 6 : 1));
    }
    return w;
  }

  /** The scheme computed the plain way, in double, element by element (no packing). */
  record Reference(int[][] code, float[][] scale, int[][] zeroPoint, int bs) {
    static Reference of(float[] w, int k, int n, QuantScheme s) {
      int bs = s.blockSize();
      int[][] code = new int[k][n];
      float[][] scale = new float[n][k / bs];
      int[][] zp = new int[n][k / bs];
      for (int c = 0; c < n; c++) {
        for (int b = 0; b < k / bs; b++) {
          double lo = 0;
          double hi = 0;
          double amax = 0;
          for (int r = b * bs; r < (b + 1) * bs; r++) {
            lo = Math.min(lo, w[r * n + c]);
            hi = Math.max(hi, w[r * n + c]);
            amax = Math.max(amax, Math.abs(w[r * n + c]));
          }
          double qmax = Math.pow(2, s.bits() - 1) - 1;
          double top = Math.pow(2, s.bits()) - 1;
          scale[c][b] = (float) (s.symmetric() ? amax / qmax : (hi - lo) / top);
          zp[c][b] = s.symmetric() ? (int) Math.pow(2, s.bits() - 1)
              : scale[c][b] == 0 ? 0 : (int) Math.min(top, Math.max(0, Math.round(-lo / scale[c][b])));
          for (int r = b * bs; r < (b + 1) * bs; r++) {
            double x = scale[c][b] == 0 ? 0 : w[r * n + c] / (double) scale[c][b];
            long q = (long) Math.signum(x) * Math.round(Math.abs(x));
            code[r][c] = (int) (s.symmetric() ? Math.max(-qmax, Math.min(qmax, q)) + zp[c][b]
                : Math.max(0, Math.min(top, q + zp[c][b])));
          }
        }
      }
      return new Reference(code, scale, zp, bs);
    }

    double dequantized(int r, int c) {
      return (code[r][c] - zeroPoint[c][r / bs]) * (double) scale[c][r / bs];
    }
  }
}
