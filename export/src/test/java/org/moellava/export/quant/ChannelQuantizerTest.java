package org.moellava.export.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * int8 per output channel ({@link ChannelQuantizer}) against a plain-Java double reference, with a column of zeros
 * and a column with one outlier; and the {@code DequantizeLinear -> MatMul} form ({@link QdqNodes}) on ONNX Runtime's
 * CPU provider against a double MatMul of the dequantized weights and, within the scheme's half step, of the fp32
 * weights.
 */
class ChannelQuantizerTest {
  static final int K = 192;
  static final int N = 20;
  static final int ZERO_COLUMN = 3;
  static final int OUTLIER_COLUMN = 7;
  static final int OUTLIER_ROW = 101;

  /** {@link BlockQuantizerTest#weights} with column 3 all zeros and one element of column 7 at -40x its spread. */
  static float[] weights(long seed) {
    float[] w = BlockQuantizerTest.weights(K, N, seed);
    for (int r = 0; r < K; r++) w[r * N + ZERO_COLUMN] = 0;
    w[OUTLIER_ROW * N + OUTLIER_COLUMN] = -4.0f;
    return w;
  }

  @Test
  void codesAndScalesEqualTheDoubleReferenceAndRoundTripWithinHalfAStep() {
    float[] w = weights(7);
    ChannelQuantizedMatrix q = ChannelQuantizer.quantize(FloatBuffer.wrap(w), 0, K, N);
    assertEquals(K * N, q.codes().length);
    assertEquals(N, q.scales().length);
    float[] deq = q.dequantize();
    for (int c = 0; c < N; c++) {
      double amax = 0;
      for (int r = 0; r < K; r++) amax = Math.max(amax, Math.abs((double) w[r * N + c]));
      float scale = (float) (amax / 127);
      assertEquals(scale, q.scales()[c], "scale of column " + c);
      for (int r = 0; r < K; r++) {
        double x = scale == 0 ? 0 : w[r * N + c] / (double) scale;
        long expected = Math.max(-127, Math.min(127, (long) Math.signum(x) * Math.round(Math.abs(x))));
        assertEquals(expected, q.code(r, c), "code of (" + r + ", " + c + ")");
        double err = Math.abs(deq[r * N + c] - w[r * N + c]);
        assertTrue(err <= scale / 2.0 * (1 + 1e-5) + 1e-12, "(" + r + "," + c + ") error " + err + " > half step");
        assertEquals(expected * (double) scale, deq[r * N + c], 1e-6 * Math.abs(expected * (double) scale) + 1e-12);
      }
    }
    // the zero column: scale 0, codes 0, exact zeros back
    assertEquals(0f, q.scales()[ZERO_COLUMN]);
    for (int r = 0; r < K; r++) {
      assertEquals(0, q.code(r, ZERO_COLUMN));
      assertEquals(0f, deq[r * N + ZERO_COLUMN]);
    }
    // the outlier sets its column's scale (4 / 127) and is stored exactly as -127; -128 is never used
    assertEquals((float) (4.0 / 127), q.scales()[OUTLIER_COLUMN]);
    assertEquals(-127, q.code(OUTLIER_ROW, OUTLIER_COLUMN));
    assertEquals(-4.0f, deq[OUTLIER_ROW * N + OUTLIER_COLUMN], 1e-6);
    for (byte b : q.codes()) assertTrue(b >= -127, "code -128 used");
  }

  @Test
  void anOffsetReadsTheExpertSliceOfAStackedTensor() {
    float[] one = weights(3);
    float[] stacked = new float[2 * K * N];
    System.arraycopy(BlockQuantizerTest.weights(K, N, 99), 0, stacked, 0, K * N);
    System.arraycopy(one, 0, stacked, K * N, K * N);
    ChannelQuantizedMatrix a = ChannelQuantizer.quantize(FloatBuffer.wrap(stacked), K * N, K, N);
    ChannelQuantizedMatrix b = ChannelQuantizer.quantize(FloatBuffer.wrap(one), 0, K, N);
    assertTrue(java.util.Arrays.equals(a.codes(), b.codes()) && java.util.Arrays.equals(a.scales(), b.scales()));
  }

  /**
   * With graph optimizations off ONNX Runtime runs the two nodes as written: int8 to fp32, then an fp32 MatMul, equal
   * to the double reference up to fp32 accumulation (1e-5 of the row's scale). With its default optimizations (what
   * the export's validation and {@code bench} use) ONNX Runtime 1.29 may fuse them into a MatMulNBits with int8
   * activations (its session option {@code session.qdq_matmulnbits_accuracy_level}, default 4): then each activation
   * may also move by half a step of its block, at most {@code max|a_row| / 254}, weighted by the dequantized weight.
   * Either way every output stays within the scheme's error of the fp32 product: each weight within half a step of
   * its column's scale.
   */
  @Test
  void onnxRuntimeDequantizeLinearMatMulEqualsTheDequantizedMatMulAndTheFp32OneWithinTheScheme()
      throws OrtException {
    float[] w = weights(11);
    ChannelQuantizedMatrix q = ChannelQuantizer.quantize(FloatBuffer.wrap(w), 0, K, N);
    int m = 6;
    float[] a = BlockQuantizerTest.weights(m, K, 13);
    for (int opset : new int[] {17, 20}) {
      for (boolean optimized : new boolean[] {false, true}) {
        float[] y = runQdq(q, a, m, opset, optimized);
        assertEquals(m * N, y.length);
        for (int i = 0; i < m; i++) {
          double rowScale = 0;
          double rowAmax = 0;
          for (int r = 0; r < K; r++) rowAmax = Math.max(rowAmax, Math.abs(a[i * K + r]));
          double[] dequantized = new double[N];
          double[] fp32 = new double[N];
          double[] bound = new double[N];
          double[] activationBound = new double[N];
          for (int c = 0; c < N; c++) {
            for (int r = 0; r < K; r++) {
              double x = a[i * K + r];
              double wq = q.code(r, c) * (double) q.scales()[c];
              dequantized[c] += x * wq;
              fp32[c] += x * w[r * N + c];
              bound[c] += Math.abs(x) * q.scales()[c] / 2; // every weight within half a step of its column
              // int8 activations: each element within half a step of at most the row's amax / 127
              activationBound[c] += Math.abs(wq) * rowAmax / 127 / 2;
            }
            rowScale = Math.max(rowScale, Math.abs(dequantized[c]));
          }
          String where = "opset " + opset + (optimized ? " optimized" : " as written") + " row " + i + " col ";
          for (int c = 0; c < N; c++) {
            double tolerance = (optimized ? activationBound[c] : 0) + 1e-5 * rowScale;
            assertEquals(dequantized[c], y[i * N + c], tolerance, where + c);
            assertEquals(fp32[c], y[i * N + c], bound[c] + tolerance, where + c + " against fp32");
          }
          assertEquals(0f, y[i * N + ZERO_COLUMN], 1e-7 * rowScale, where + ZERO_COLUMN + ": the zero column");
        }
      }
    }
    assertEquals(0, runQdq(q, new float[0], 0, 17, true).length, "an expert with no tokens: A [0, K]");
  }

  @Test
  void thePerChannelSchemeIsInt8SymmetricOnlyAndNeverBlockwise() {
    QuantScheme s = QuantScheme.int8PerChannel();
    assertEquals("int8-channel-sym-qdq", s.id());
    assertTrue(s.perChannel());
    assertThrows(InvalidInputException.class, () -> new QuantScheme(4, QuantScheme.PER_CHANNEL, true, 0));
    assertThrows(InvalidInputException.class, () -> new QuantScheme(8, QuantScheme.PER_CHANNEL, false, 0));
    assertThrows(InvalidInputException.class, () -> new QuantScheme(8, QuantScheme.PER_CHANNEL, true, 4));
    assertThrows(IllegalArgumentException.class,
        () -> BlockQuantizer.quantize("w", FloatBuffer.wrap(new float[4]), 0, 2, 2, s));
  }

  /** One {@code DequantizeLinear -> MatMul} on ONNX Runtime's CPU provider: {@code A [m, K] -> Y [m, N]}. */
  static float[] runQdq(ChannelQuantizedMatrix q, float[] a, int m, int opset, boolean optimized)
      throws OrtException {
    QdqNodes.Names names = QdqNodes.Names.of("w");
    GraphProto.Builder g = GraphProto.newBuilder().setName("qdq")
        .addAllNode(QdqNodes.dequantizeMatMul("mm", "A", names, "Y"))
        .addAllInitializer(QdqNodes.initializers(names, q, null))
        .addInput(BlockQuantizerTest.valueInfo("A", -1, q.k())).addOutput(BlockQuantizerTest.valueInfo("Y", -1, q.n()));
    ModelProto model = ModelProto.newBuilder().setIrVersion(8).setProducerName("test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(g).build();
    assertEquals(TensorProto.DataType.INT8_VALUE, g.getInitializer(0).getDataType());
    return BlockQuantizerTest.runMatrixModel(model, a, m, q.k(), optimized);
  }
}
