package org.moellava.runtime.ort;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.EnumSet;
import org.moellava.error.BackendUnavailableException;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.Device;

/** Opens ONNX Runtime sessions with the providers {@link OrtOptions} asks for, after checking they exist. */
final class OrtSessions {
  private OrtSessions() {}

  /**
   * Fails with a one-line {@link BackendUnavailableException} when a requested provider is not in this
   * ONNX Runtime build ({@code OrtEnvironment.getAvailableProviders()}).
   */
  static void checkProviders(OrtOptions options) {
    EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
    if (options.device() == Device.CUDA && !available.contains(OrtProvider.CUDA)) {
      throw new BackendUnavailableException("ONNX Runtime CUDA execution provider unavailable (this build has "
          + available + "; the com.microsoft.onnxruntime:onnxruntime_gpu artifact has it)");
    }
    if (options.tensorRtProvider() && !available.contains(OrtProvider.TENSOR_RT)) {
      throw new BackendUnavailableException("ONNX Runtime TensorRT execution provider unavailable (this build has "
          + available + ")");
    }
  }

  /**
   * The graph optimizer left out for fp16 models on the CPU provider. ONNX Runtime 1.29's {@code MatMulAddFusion}
   * turns an fp16 {@code MatMul} + bias {@code Add} into an fp16 {@code Gemm}, whose CPU kernel is 9-19 times less
   * precise than the fp16 {@code MatMul} kernel (and far slower): 1.01e-2 of the largest output against 5.34e-4 on
   * {@code OrtFp16SessionTest}'s product; on {@code small}'s fp16 decoder the layer-0 keys (a bias-carrying
   * projection) were off by 0.71 % of their largest value with it, 0.08 % without (the same model and inputs).
   */
  static final String FP16_CPU_DISABLED_OPTIMIZER = "MatMulAddFusion";

  /**
   * Session options: the requested providers in priority order, then the CPU provider, full optimisation;
   * pre-packing, spinning and the memory pattern as {@code options} say; for an fp16 model ({@code fp16}) on the CPU
   * device without {@link #FP16_CPU_DISABLED_OPTIMIZER}.
   */
  static OrtSession.SessionOptions sessionOptions(OrtOptions options, boolean fp16) throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    try {
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (fp16 && options.device() == Device.CPU) {
        so.addConfigEntry("optimization.disable_specified_optimizers", FP16_CPU_DISABLED_OPTIMIZER);
      }
      if (!options.prepacking().enabled()) so.addConfigEntry("session.disable_prepacking", "1");
      if (options.intraOpThreads() > 0) so.setIntraOpNumThreads(options.intraOpThreads());
      if (!options.spinning()) so.addConfigEntry("session.intra_op.allow_spinning", "0");
      if (!options.memoryPattern()) so.setMemoryPatternOptimization(false);
      if (options.tensorRtProvider()) so.addTensorrt(options.deviceId());
      if (options.device() == Device.CUDA) so.addCUDA(options.deviceId());
      return so;
    } catch (OrtException | RuntimeException e) {
      so.close();
      throw e;
    }
  }

  /** Opens {@code file} with session options made from {@code options} (for an fp16 model when {@code fp16}). */
  static OrtSession open(OrtEnvironment env, Path file, OrtOptions options, boolean fp16) throws OrtException {
    try (OrtSession.SessionOptions so = sessionOptions(options, fp16)) {
      return open(env, file, so);
    }
  }

  /** Opens {@code file}; a model ONNX Runtime rejects is an input error naming the file. */
  static OrtSession open(OrtEnvironment env, Path file, OrtSession.SessionOptions so) {
    try {
      return env.createSession(file.toString(), so);
    } catch (OrtException e) {
      String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
      if (message.contains("CUDA") || message.contains("TensorRT") || message.contains("cuda")) {
        throw new BackendUnavailableException(file + ": ONNX Runtime cannot start the GPU provider: " + message, e);
      }
      throw new InvalidInputException(file + ": ONNX Runtime cannot load the model: " + message, e);
    }
  }
}
