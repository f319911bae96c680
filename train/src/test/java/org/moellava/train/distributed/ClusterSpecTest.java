package org.moellava.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;
import org.moellava.error.MoeLlavaException;

/** Bad cluster files and tasks fail with one line naming the problem, before any server starts. */
class ClusterSpecTest {
  @TempDir Path dir;

  private Path file(String json) throws IOException {
    Path f = dir.resolve("cluster.json");
    Files.writeString(f, json);
    return f;
  }

  private String error(String json) throws IOException {
    Path f = file(json);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ClusterSpec.read(f));
    assertEquals(MoeLlavaException.EXIT_USAGE, e.exitCode());
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    return e.getMessage();
  }

  @Test
  void readsAGoodFile() throws IOException {
    ClusterSpec spec = ClusterSpec.read(file("{\"chief\": 1, \"timeout_seconds\": 30, \"workers\": ["
        + "{\"task\": 1, \"address\": \"127.0.0.1:23452\"}, {\"task\": 0, \"address\": \"localhost:23451\"}]}"));
    assertEquals(List.of("localhost:23451", "127.0.0.1:23452"), spec.addresses());
    assertEquals(1, spec.chief());
    assertEquals(30.0, spec.timeoutSeconds());
    assertEquals(23452, spec.port(1));
  }

  @Test
  void duplicateTask() throws IOException {
    assertTrue(error("{\"chief\": 0, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:1\"}, "
        + "{\"task\": 0, \"address\": \"127.0.0.1:2\"}]}").endsWith("task 0 is listed twice"));
  }

  @Test
  void duplicateAddress() throws IOException {
    assertTrue(error("{\"chief\": 0, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:1\"}, "
        + "{\"task\": 1, \"address\": \"127.0.0.1:1\"}]}").endsWith("tasks 0 and 1 have the same address 127.0.0.1:1"));
  }

  @Test
  void gapInTasks() throws IOException {
    assertTrue(error("{\"chief\": 0, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:1\"}, "
        + "{\"task\": 2, \"address\": \"127.0.0.1:2\"}]}").endsWith("tasks must be numbered 0..1, but task 1 is missing"));
  }

  @Test
  void chiefMissingOrOutOfRange() throws IOException {
    assertTrue(error("{\"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:1\"}]}").contains("no chief"));
    assertTrue(error("{\"chief\": 3, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:1\"}]}")
        .endsWith("chief 3 is not one of the tasks 0..0"));
  }

  @Test
  void unparseableAddresses() throws IOException {
    assertTrue(error("{\"chief\": 0, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1\"}]}")
        .endsWith("task 0: address '127.0.0.1' is not usable: expected host:port"));
    assertTrue(error("{\"chief\": 0, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:http\"}]}")
        .endsWith("port 'http' is not a number"));
    assertTrue(error("{\"chief\": 0, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:70000\"}]}")
        .endsWith("port 70000 is not in 1..65535"));
    assertTrue(error("{\"chief\": 0, \"workers\": [{\"task\": 0, \"address\": \"no-such-host.invalid:5\"}]}")
        .endsWith("host 'no-such-host.invalid' does not resolve"));
  }

  @Test
  void unknownFieldsAndShapes() throws IOException {
    assertTrue(error("{\"chief\": 0, \"worker\": []}").contains("unknown field 'worker'"));
    assertTrue(error("{\"chief\": 0, \"workers\": []}").contains("'workers' must be a non-empty list"));
    assertTrue(error("[1]").contains("expected a JSON object"));
    assertTrue(error("{\"chief\": 0, \"timeout_seconds\": 0, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:1\"}]}")
        .contains("timeout_seconds must be"));
  }

  @Test
  void ownTaskOutOfRangeOrNotBindable() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path f = file("{\"chief\": 0, \"workers\": [{\"task\": 0, \"address\": \"127.0.0.1:" + taken.getLocalPort()
          + "\"}, {\"task\": 1, \"address\": \"127.0.0.1:1\"}]}");
      ClusterSpec spec = ClusterSpec.read(f);
      InvalidInputException range = assertThrows(InvalidInputException.class, () -> spec.checkOwnTask(f, 2));
      assertEquals("--task 2 is out of range: " + f + " has tasks 0..1", range.getMessage());
      InvalidInputException bind = assertThrows(InvalidInputException.class, () -> spec.checkOwnTask(f, 0));
      assertTrue(bind.getMessage().contains("task 0's address 127.0.0.1:" + taken.getLocalPort()
          + " cannot be bound on this machine"), bind.getMessage());
    }
  }
}
