package org.moellava.train.distributed;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;
import org.tensorflow.Graph;
import org.tensorflow.Server;
import org.tensorflow.Session;
import org.tensorflow.TargetedSession;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.JobDef;
import org.tensorflow.proto.ServerDef;

/**
 * This process's place in a distributed run: it starts TensorFlow's gRPC server for its task (bound to the address
 * the cluster file gives, nowhere else) and opens sessions on it that see only this task's devices, with task 0 of
 * job {@code worker} as the collectives' group leader. The server has no authentication: run it on a private
 * network only. TF 1.1.0 cannot stop a gRPC server cleanly, so it lives until the process exits.
 */
public final class Worker {
  /** The job name in the cluster definition. */
  public static final String JOB = "worker";

  private final ClusterSpec cluster;
  private final int task;
  private final int threads;
  private Server server;
  private ScheduledExecutorService watchdog;

  /**
   * Checks the task against the cluster (range, bindable address); the server starts on {@link #start()}.
   *
   * @throws InvalidInputException when the task is out of range or its address cannot be bound
   */
  public Worker(ClusterSpec cluster, Path clusterFile, int task, int threads) {
    cluster.checkOwnTask(clusterFile, task);
    this.cluster = cluster;
    this.task = task;
    this.threads = threads;
  }

  /** Starts the gRPC server (once). */
  public synchronized void start() {
    if (server != null) return;
    JobDef.Builder job = JobDef.newBuilder().setName(JOB);
    for (int t = 0; t < cluster.size(); t++) job.putTasks(t, cluster.addresses().get(t));
    ServerDef def = ServerDef.newBuilder()
        .setCluster(ClusterDef.newBuilder().addJob(job))
        .setJobName(JOB)
        .setTaskIndex(task)
        .setProtocol("grpc")
        .setPort(cluster.port(task))
        .setDefaultSessionConfig(sessionConfig().toBuilder()
            .setIntraOpParallelismThreads(threads)
            .setInterOpParallelismThreads(threads))
        .build();
    server = new Server(def);
    server.start();
  }

  /** This task's index. */
  public int task() {
    return task;
  }

  /** Number of workers. */
  public int size() {
    return cluster.size();
  }

  /** Whether this task writes checkpoints and the run's metrics. */
  public boolean isChief() {
    return task == cluster.chief();
  }

  /** Seconds a collective waits for the other workers. */
  public float timeoutSeconds() {
    return (float) cluster.timeoutSeconds();
  }

  /** This task's CPU, for placing the graph: {@code /job:worker/replica:0/task:N/device:CPU:0}. */
  public String device() {
    return "/job:" + JOB + "/replica:0/task:" + task + "/device:CPU:0";
  }

  /**
   * A session of {@code graph} on this task's server. Thread pools come from the server's default session config (a
   * distributed session refuses per-session pools).
   */
  public Session open(Graph graph) {
    start();
    return TargetedSession.open(graph, "grpc://" + cluster.addresses().get(task), sessionConfig());
  }

  private ConfigProto sessionConfig() {
    return ConfigProto.newBuilder()
        .addDeviceFilters("/job:" + JOB + "/task:" + task)
        .setExperimental(ConfigProto.Experimental.newBuilder()
            .setCollectiveGroupLeader("/job:" + JOB + "/replica:0/task:0"))
        .build();
  }

  /**
   * Runs {@code call} (a session run with collectives) under a watchdog: every {@code timeout_seconds} while it runs,
   * the other tasks' addresses are probed, and when one refuses connections the process prints one line naming it
   * and halts with exit code 1 (a native session run cannot be interrupted, and a worker whose group leader is gone
   * retries forever instead of timing out). A failed run becomes the same one-line error.
   */
  public <T> T guard(String what, Supplier<T> call) {
    long period = Math.max(1, Math.round(cluster.timeoutSeconds() * 1000));
    ScheduledFuture<?> check = watchdog().scheduleAtFixedRate(() -> {
      List<Integer> missing = unreachableTasks();
      if (!missing.isEmpty()) {
        System.out.flush();
        System.err.println("moellava: error: " + message(what, missing, String.format(Locale.ROOT,
            "no answer for %.0f s", cluster.timeoutSeconds())));
        System.err.flush();
        Runtime.getRuntime().halt(MoeLlavaException.EXIT_FAILURE);
      }
    }, period, period, TimeUnit.MILLISECONDS);
    try {
      return call.get();
    } catch (TensorFlowException e) {
      throw failure(what, e);
    } finally {
      check.cancel(false);
    }
  }

  private synchronized ScheduledExecutorService watchdog() {
    if (watchdog == null) {
      watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "moellava-collective-watchdog");
        t.setDaemon(true);
        return t;
      });
    }
    return watchdog;
  }

  /**
   * The error to report when a collective failed: names the tasks whose servers do not accept connections (dead
   * or never started), else says the others did not reach the collective in time.
   */
  public MoeLlavaException failure(String what, TensorFlowException cause) {
    return new MoeLlavaException(message(what, unreachableTasks(), reason(cause.getMessage())),
        MoeLlavaException.EXIT_FAILURE, cause);
  }

  private String message(String what, List<Integer> missing, String reason) {
    if (!missing.isEmpty()) {
      return String.format(Locale.ROOT, "distributed training stopped at %s: task%s %s (%s) not reachable: "
              + "the worker died or never joined (%s); no checkpoint was written for this step; restart all workers with "
              + "--resume", what, missing.size() > 1 ? "s" : "", join(missing), addressesOf(missing), reason);
    }
    return String.format(Locale.ROOT, "distributed training stopped at %s: the other workers did not reach the "
        + "all-reduce within %.0f s (%s); no checkpoint was written for this step; restart all workers with --resume",
        what, cluster.timeoutSeconds(), reason);
  }

  /** Tasks other than this one whose address refuses a TCP connection within 2 s. */
  List<Integer> unreachableTasks() {
    List<Integer> out = new ArrayList<>();
    for (int t = 0; t < cluster.size(); t++) {
      if (t == task) continue;
      try (Socket s = new Socket()) {
        s.connect(ClusterSpec.socketAddress(cluster.addresses().get(t)), 2000);
      } catch (IOException e) {
        out.add(t);
      }
    }
    return out;
  }

  private String addressesOf(List<Integer> tasks) {
    List<String> out = new ArrayList<>();
    tasks.forEach(t -> out.add(cluster.addresses().get(t)));
    return String.join(", ", out);
  }

  private static String join(List<Integer> tasks) {
    List<String> out = new ArrayList<>();
    tasks.forEach(t -> out.add(Integer.toString(t)));
    return String.join(", ", out);
  }

  /** A short reason from TensorFlow's multi-line status message. */
  private String reason(String message) {
    String m = message == null ? "" : message;
    if (m.contains("timed out") || m.contains("DEADLINE_EXCEEDED")) {
      return String.format(Locale.ROOT, "the all-reduce timed out after %.0f s", cluster.timeoutSeconds());
    }
    for (String line : m.split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("From /job") && !l.startsWith("[[")) return l;
    }
    return "TensorFlow reported no reason";
  }

  private static String firstLine(String message) {
    if (message == null) return "";
    String m = message.strip();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
