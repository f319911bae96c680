package org.moellava.train.distributed;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.moellava.io.AtomicFiles;

/**
 * {@code --local-workers N}: runs a distributed training on this machine. Picks N free loopback ports, writes
 * {@code RUN_DIR/cluster.json} (task 0 the chief), starts one child JVM per task with the same class path, main class
 * and arguments plus {@code --cluster RUN_DIR/cluster.json --task i}, and waits for all of them (when one fails, the
 * others are stopped). The chief's output is this process's; worker i's goes to {@code RUN_DIR/worker-i.log}.
 */
public final class LocalCluster {
  private LocalCluster() {}

  /**
   * Runs the workers and returns the first failed worker's exit code (the others are then stopped), else 0.
   *
   * @param mainClass the launcher's main class (the children run it)
   * @param args the command line without {@code --local-workers}
   * @param runDir RUN_DIR
   * @param workers how many
   * @param timeoutSeconds the collectives' timeout written into the cluster file
   */
  public static int run(String mainClass, List<String> args, Path runDir, int workers, double timeoutSeconds,
      PrintStream out) {
    if (workers < 1 || workers > 64) throw new InvalidInputException("--local-workers must be 1..64, got " + workers);
    Path clusterFile = runDir.resolve("cluster.json");
    List<String> addresses = freeLoopbackAddresses(workers);
    try {
      Files.createDirectories(runDir);
    } catch (IOException e) {
      throw new InvalidInputException(runDir + ": cannot create the output directory: " + e.getMessage(), e);
    }
    StringBuilder json = new StringBuilder("{\"chief\": 0, \"timeout_seconds\": ")
        .append(String.format(Locale.ROOT, "%s", timeoutSeconds)).append(", \"workers\": [");
    for (int t = 0; t < workers; t++) {
      json.append(t == 0 ? "" : ", ").append("{\"task\": ").append(t).append(", \"address\": \"")
          .append(addresses.get(t)).append("\"}");
    }
    AtomicFiles.writeString(clusterFile, json.append("]}\n").toString());
    out.printf(Locale.ROOT, "local cluster: %d workers on %s (%s); task 0 (chief) prints here, task i logs to %s%n",
        workers, String.join(", ", addresses), clusterFile, runDir.resolve("worker-i.log"));
    out.flush();
    List<Process> children = new ArrayList<>();
    Thread reaper = new Thread(() -> children.forEach(Process::destroyForcibly));
    Runtime.getRuntime().addShutdownHook(reaper);
    try {
      for (int t = 0; t < workers; t++) {
        List<String> command = new ArrayList<>(javaCommand(mainClass));
        command.addAll(args);
        command.addAll(List.of("--cluster", clusterFile.toString(), "--task", Integer.toString(t)));
        ProcessBuilder pb = new ProcessBuilder(command);
        if (t == 0) {
          pb.inheritIO();
        } else {
          Path log = runDir.resolve("worker-" + t + ".log");
          pb.redirectErrorStream(true).redirectOutput(log.toFile());
        }
        children.add(pb.start());
      }
      return waitForAll(children, runDir, out);
    } catch (IOException e) {
      throw new MoeLlavaException("cannot start a worker JVM: " + e.getMessage(), MoeLlavaException.EXIT_FAILURE, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MoeLlavaException("interrupted while waiting for the workers", MoeLlavaException.EXIT_FAILURE, e);
    } finally {
      children.forEach(p -> {
        if (p.isAlive()) p.destroyForcibly();
      });
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs anyway
      }
    }
  }

  /**
   * Waits until every worker exited; when one fails, the others are stopped at once (they could only wait for it
   * until their collective timeout). Returns the first failed worker's exit code, or 0.
   */
  private static int waitForAll(List<Process> children, Path runDir, PrintStream out) throws InterruptedException {
    while (true) {
      boolean running = false;
      for (int t = 0; t < children.size(); t++) {
        Process p = children.get(t);
        if (p.isAlive()) {
          running = true;
          continue;
        }
        int code = p.exitValue();
        if (code != 0) {
          children.forEach(Process::destroyForcibly);
          if (t != 0) {
            out.printf(Locale.ROOT, "moellava: error: worker %d exited with code %d; see %s%n", t, code,
                runDir.resolve("worker-" + t + ".log"));
          }
          return code;
        }
      }
      if (!running) return 0;
      children.get(0).waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  /** This JVM's java binary, JVM options and class path, then {@code mainClass}. */
  static List<String> javaCommand(String mainClass) {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>();
    command.add(java);
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-javaagent")) command.add(arg);
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    return command;
  }

  /** N loopback {@code host:port}s that were free a moment ago. */
  static List<String> freeLoopbackAddresses(int n) {
    List<ServerSocket> held = new ArrayList<>();
    List<String> out = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        out.add("127.0.0.1:" + s.getLocalPort());
      }
    } catch (IOException e) {
      throw new MoeLlavaException("cannot find free loopback ports: " + e.getMessage(), MoeLlavaException.EXIT_FAILURE,
          e);
    } finally {
      for (ServerSocket s : held) {
        try {
          s.close();
        } catch (IOException ignored) {
          // only a probe
        }
      }
    }
    return out;
  }
}
