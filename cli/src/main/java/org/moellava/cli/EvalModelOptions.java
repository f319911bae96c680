package org.moellava.cli;

import java.nio.file.Path;
import org.moellava.error.InvalidInputException;
import org.moellava.eval.model.CheckpointModel;
import org.moellava.eval.model.PackageModel;
import org.moellava.eval.model.EvalModel;
import picocli.CommandLine.Option;

/** {@code --checkpoint DIR | --package DIR} of {@code eval}, {@code analyze} and {@code forward}. */
final class EvalModelOptions {
  @Option(names = "--checkpoint", description = "A checkpoint directory (run on TensorFlow).")
  Path checkpoint;

  @Option(names = "--package", description = "An exported model package (run on ONNX Runtime CPU).")
  Path packageDir;

  /** Exactly one source must be given. */
  void check() {
    if ((checkpoint == null) == (packageDir == null)) {
      throw new InvalidInputException("give exactly one of --checkpoint DIR (TensorFlow) or --package DIR (ONNX Runtime)");
    }
  }

  /** The backend name the source runs on. */
  String backend() {
    return checkpoint != null ? "tf" : "ort";
  }

  /** Opens the model. */
  EvalModel open() {
    check();
    return checkpoint != null ? CheckpointModel.open(checkpoint) : PackageModel.open(packageDir);
  }

  /** The source, for messages. */
  Path path() {
    return checkpoint != null ? checkpoint : packageDir;
  }
}
