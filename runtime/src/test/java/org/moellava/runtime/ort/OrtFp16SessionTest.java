package org.moellava.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.platform.Fp16Conversions;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.moellava.runtime.Device;

/**
 * fp16 models on the CPU provider run without {@code MatMulAddFusion}: an fp16 {@code MatMul} + bias {@code Add}
 * ({@code fp16-matmul-bias.onnx}, written by {@code tools/fixtures/fp16_matmul_bias.py}) then stays within fp16
 * rounding of a double reference, which the fused fp16 {@code Gemm} of ONNX Runtime 1.29 does not.
 */
class OrtFp16SessionTest {
  private static final int M = 16;
  private static final int K = 1024;
  private static final int N = 64;

  @Test
  void onlyFp16ModelsOnTheCpuLeaveOutTheFusion() throws Exception {
    try (OrtSession.SessionOptions half = OrtSessions.sessionOptions(OrtOptions.cpu(), true);
         OrtSession.SessionOptions full = OrtSessions.sessionOptions(OrtOptions.cpu(), false)) {
      assertEquals(OrtSessions.FP16_CPU_DISABLED_OPTIMIZER,
          half.getConfigEntries().get("optimization.disable_specified_optimizers"));
      assertFalse(full.getConfigEntries().containsKey("optimization.disable_specified_optimizers"));
    }
    assertEquals(Device.CPU, OrtOptions.cpu().device());
  }

  @Test
  void fp16MatMulWithBiasStaysWithinFp16Rounding() throws Exception {
    double withFix = maxRelativeError(true);
    double fused = maxRelativeError(false);
    // inputs and weights are rounded to fp16 exactly as the reference reads them; what is left is the output's
    // rounding (2^-11 relative) and the kernel's accumulation
    assertTrue(withFix < 2e-3, "fp16 MatMul + Add off by " + withFix + " of the largest output");
    System.out.printf("fp16 MatMul+bias max error / max |y|: unfused %.2e, ONNX Runtime's fused Gemm %.2e%n",
        withFix, fused);
  }

  private static double maxRelativeError(boolean fp16) throws Exception {
    float[] x = new float[M * K];
    for (int m = 0; m < M; m++) {
      for (int k = 0; k < K; k++) x[m * K + k] = half(Math.sin(1.7 * m + 0.3 * k) + 0.5 * Math.cos(0.05 * k));
    }
    ShortBuffer xb = ByteBuffer.allocateDirect(M * K * 2).order(ByteOrder.nativeOrder()).asShortBuffer();
    for (float v : x) xb.put(Fp16Conversions.floatToFp16(v));
    xb.flip();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = OrtSessions.open(env, model(), OrtOptions.cpu(), fp16);
         OnnxTensor in = OnnxTensor.createTensor(env, xb, new long[] {M, K}, OnnxJavaType.FLOAT16);
         OrtSession.Result r = s.run(Map.of("x", in))) {
      ShortBuffer y = ((OnnxTensor) r.get(0)).getShortBuffer(); // [M, N] fp16
      double maxRef = 0;
      double maxErr = 0;
      for (int m = 0; m < M; m++) {
        for (int n = 0; n < N; n++) {
          double ref = half(0.1 * Math.cos(n));
          for (int k = 0; k < K; k++) ref += (double) x[m * K + k] * half(0.05 * Math.sin(0.37 * k + 1.3 * n));
          maxRef = Math.max(maxRef, Math.abs(ref));
          maxErr = Math.max(maxErr, Math.abs(ref - Fp16Conversions.fp16ToFloat(y.get(m * N + n))));
        }
      }
      return maxErr / maxRef;
    }
  }

  /** {@code v} rounded to fp16, as the fixture stores it. */
  private static float half(double v) {
    return Fp16Conversions.fp16ToFloat(Fp16Conversions.floatToFp16((float) v));
  }

  private static Path model() throws URISyntaxException {
    return Path.of(OrtFp16SessionTest.class.getResource("fp16-matmul-bias.onnx").toURI());
  }
}
