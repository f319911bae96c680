package org.moellava.cli;

import java.nio.file.Path;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.Device;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.serve.load.BackendKind;
import org.moellava.serve.load.ServingModels;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** The model and backend options shared by {@code serve} and {@code generate}. */
final class ModelOptions {
  static final class Source {
    @Option(names = "--package", required = true, description = "A model package (moellava export).")
    Path packageDir;

    @Option(names = "--checkpoint", required = true, description = "A checkpoint directory (TensorFlow backend).")
    Path checkpointDir;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--backend", description = "ort | trt | tf (default: ort for --package, tf for --checkpoint).")
  String backend;

  @Option(names = "--device", defaultValue = "cpu", description = "cpu | cuda (ONNX Runtime; cuda needs the gpu build).")
  String device;

  @Option(names = "--ort-tensorrt", description = "With --backend ort --device cuda: put ONNX Runtime's TensorRT "
      + "execution provider first.")
  boolean ortTensorRt;

  @Option(names = "--threads", defaultValue = "0", description = "ONNX Runtime intra-op threads (0: its default).")
  int threads;

  ServingModels.Request request(boolean idsOnly) {
    BackendKind kind = backend == null ? null : BackendKind.parse(backend);
    // the loader's messages are in library terms; the command line's own wording first
    if (kind == BackendKind.TF && source.packageDir != null) {
      throw new InvalidInputException("--backend tf runs a checkpoint: give --checkpoint DIR, not --package");
    }
    if (kind != null && kind != BackendKind.TF && source.checkpointDir != null) {
      throw new InvalidInputException("--backend " + backend + " runs a model package: give --package DIR "
          + "(moellava export), not --checkpoint");
    }
    if ((kind == BackendKind.TF || kind == null && source.checkpointDir != null) && Device.parse(device) != Device.CPU) {
      throw new InvalidInputException("--backend tf runs on the device of the TensorFlow native build "
          + "(CPU by default, GPU with -Pgpu); leave out --device");
    }
    if (ortTensorRt && Device.parse(device) != Device.CUDA) {
      throw new InvalidInputException("--ort-tensorrt needs --device cuda");
    }
    OrtOptions ort = new OrtOptions(Device.parse(device), ortTensorRt, 0, threads);
    return new ServingModels.Request(source.packageDir, source.checkpointDir, kind, ort, idsOnly);
  }
}
