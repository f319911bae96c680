package org.moellava.train;

import java.nio.file.Path;
import org.moellava.config.ModelConfig;
import org.moellava.config.ModelConfigIO;
import org.moellava.config.Presets;
import org.moellava.error.MoeLlavaException;
import org.moellava.io.NativeEnvironment;
import org.moellava.train.distributed.ClusterSpec;
import org.moellava.train.distributed.Worker;

/**
 * A distributed training worker for tests, in its own JVM (a TF gRPC server lives until its process exits). Args:
 * CONFIG (preset or file) STAGE RUN_DIR RESUME INIT|- MAX_STEPS CHECKPOINT_MINUTES --cluster FILE --task N (the last
 * four as {@link org.moellava.train.distributed.LocalCluster} appends them). Prints a failure as the CLI does, one
 * line, and exits with its code.
 */
public final class DistributedTrainChild {
  private DistributedTrainChild() {}

  public static void main(String[] args) {
    NativeEnvironment.configure();
    try {
      ModelConfig config = args[0].endsWith(".json") ? ModelConfigIO.read(Path.of(args[0])) : Presets.resolve(args[0]);
      Path cluster = Path.of(args[8]);
      int task = Integer.parseInt(args[10]);
      Worker worker = new Worker(ClusterSpec.read(cluster), cluster, task, 1);
      TrainingRun.run(new TrainingRun.Options(config, args[1], "synth", Path.of(args[2]), Integer.parseInt(args[5]),
          Boolean.parseBoolean(args[3]), "-".equals(args[4]) ? null : Path.of(args[4]), 1, false,
          Double.parseDouble(args[6])), System.out, worker);
    } catch (MoeLlavaException e) {
      System.out.println("moellava: error: " + e.getMessage());
      System.exit(e.exitCode());
    } catch (RuntimeException e) {
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }
}
