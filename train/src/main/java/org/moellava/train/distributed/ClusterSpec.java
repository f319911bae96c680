package org.moellava.train.distributed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.moellava.error.InvalidInputException;

/**
 * The workers of a distributed run, read from a cluster file:
 *
 * <pre>
 * {"chief": 0, "timeout_seconds": 60,
 *  "workers": [{"task": 0, "address": "10.0.0.1:23451"}, {"task": 1, "address": "10.0.0.2:23451"}]}
 * </pre>
 *
 * Tasks are numbered 0..N-1 (each once); the chief (the only worker that writes checkpoints and metrics) is one of
 * them; {@code timeout_seconds} (default {@link #DEFAULT_TIMEOUT_SECONDS}) bounds how long a worker waits in a
 * collective for the others before it stops with an error naming the missing task.
 *
 * @param addresses {@code host:port} of task i at index i
 * @param chief the chief's task index
 * @param timeoutSeconds collective timeout
 */
public record ClusterSpec(List<String> addresses, int chief, double timeoutSeconds) {
  /** Timeout of a collective when the cluster file sets none. */
  public static final double DEFAULT_TIMEOUT_SECONDS = 60;

  public ClusterSpec {
    addresses = List.copyOf(addresses);
  }

  /** Number of workers. */
  public int size() {
    return addresses.size();
  }

  /**
   * Reads and checks a cluster file.
   *
   * @throws InvalidInputException naming the file and the problem, on any defect
   */
  public static ClusterSpec read(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(file));
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read the cluster file: " + firstLine(e.getMessage()), e);
    }
    if (root == null || !root.isObject()) throw bad(file, "expected a JSON object {\"chief\": 0, \"workers\": [...]}");
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!List.of("chief", "workers", "timeout_seconds").contains(field)) {
        throw bad(file, "unknown field '" + field + "' (fields: chief, workers, timeout_seconds)");
      }
    }
    JsonNode workers = root.get("workers");
    if (workers == null || !workers.isArray() || workers.isEmpty()) {
      throw bad(file, "'workers' must be a non-empty list of {\"task\": N, \"address\": \"host:port\"}");
    }
    Map<Integer, String> byTask = new TreeMap<>();
    Map<String, Integer> byAddress = new TreeMap<>();
    for (JsonNode w : workers) {
      JsonNode task = w.get("task");
      JsonNode address = w.get("address");
      if (task == null || !task.canConvertToInt() || !task.isIntegralNumber() || address == null || !address.isTextual()) {
        throw bad(file, "each worker needs an integer 'task' and a string 'address' (host:port), got " + w);
      }
      int t = task.intValue();
      String a = address.textValue();
      parseAddress(file, t, a);
      if (byTask.put(t, a) != null) throw bad(file, "task " + t + " is listed twice");
      Integer other = byAddress.put(a, t);
      if (other != null) throw bad(file, "tasks " + other + " and " + t + " have the same address " + a);
    }
    List<String> addresses = new ArrayList<>();
    for (int t = 0; t < byTask.size(); t++) {
      String a = byTask.get(t);
      if (a == null) {
        throw bad(file, "tasks must be numbered 0.." + (byTask.size() - 1) + ", but task " + t + " is missing");
      }
      addresses.add(a);
    }
    JsonNode chief = root.get("chief");
    if (chief == null) throw bad(file, "no chief: add \"chief\": TASK (the worker that writes checkpoints)");
    if (!chief.isIntegralNumber() || chief.intValue() < 0 || chief.intValue() >= addresses.size()) {
      throw bad(file, "chief " + chief + " is not one of the tasks 0.." + (addresses.size() - 1));
    }
    double timeout = DEFAULT_TIMEOUT_SECONDS;
    JsonNode t = root.get("timeout_seconds");
    if (t != null) {
      if (!t.isNumber() || !(t.doubleValue() > 0) || t.doubleValue() > 86_400) {
        throw bad(file, "timeout_seconds must be a number of seconds in (0, 86400], got " + t);
      }
      timeout = t.doubleValue();
    }
    return new ClusterSpec(addresses, chief.intValue(), timeout);
  }

  /**
   * Checks that {@code task} is one of the tasks and that its address can be bound here (the gRPC server binds it).
   *
   * @throws InvalidInputException when it is out of range or its address cannot be bound
   */
  public void checkOwnTask(Path file, int task) {
    if (task < 0 || task >= size()) {
      throw new InvalidInputException("--task " + task + " is out of range: " + file + " has tasks 0.." + (size() - 1));
    }
    String address = addresses.get(task);
    InetSocketAddress bind = socketAddress(address);
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(bind);
    } catch (IOException e) {
      throw new InvalidInputException(file + ": task " + task + "'s address " + address + " cannot be bound on this "
          + "machine (" + firstLine(e.getMessage()) + "): run task " + task + " on the host it names, or free the port");
    }
  }

  /** The port of {@code task}. */
  public int port(int task) {
    return socketAddress(addresses.get(task)).getPort();
  }

  /** {@code host:port} parsed; the host is resolved. */
  static InetSocketAddress socketAddress(String address) {
    int colon = address.lastIndexOf(':');
    return new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
  }

  private static void parseAddress(Path file, int task, String address) {
    int colon = address.lastIndexOf(':');
    String why = null;
    if (colon <= 0 || colon == address.length() - 1) {
      why = "expected host:port";
    } else {
      try {
        int port = Integer.parseInt(address.substring(colon + 1));
        if (port < 1 || port > 65_535) why = "port " + port + " is not in 1..65535";
      } catch (NumberFormatException e) {
        why = "port '" + address.substring(colon + 1) + "' is not a number";
      }
      if (why == null && socketAddress(address).isUnresolved()) {
        why = "host '" + address.substring(0, colon) + "' does not resolve";
      }
    }
    if (why != null) throw bad(file, "task " + task + ": address '" + address + "' is not usable: " + why);
  }

  private static InvalidInputException bad(Path file, String message) {
    return new InvalidInputException(file + ": " + message);
  }

  private static String firstLine(String message) {
    if (message == null) return "";
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
