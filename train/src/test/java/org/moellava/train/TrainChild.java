package org.moellava.train;

import java.nio.file.Path;
import org.moellava.config.ModelConfigIO;
import org.moellava.io.NativeEnvironment;

/**
 * Runs a training in a child JVM for {@link KillResumeTest}: {@code CONFIG_JSON STAGE RUN_DIR RESUME(true|false) INIT|-}.
 * Exits 0 when done, 1 on any error.
 */
public final class TrainChild {
  private TrainChild() {}

  public static void main(String[] args) {
    NativeEnvironment.configure();
    try {
      TrainingRun.run(new TrainingRun.Options(ModelConfigIO.read(Path.of(args[0])), args[1], "synth", Path.of(args[2]),
          0, Boolean.parseBoolean(args[3]), "-".equals(args[4]) ? null : Path.of(args[4]), 1), System.out);
    } catch (RuntimeException e) {
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }
}
