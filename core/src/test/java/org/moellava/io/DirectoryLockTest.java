package org.moellava.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;

class DirectoryLockTest {
  @TempDir Path dir;

  /** Child process: takes the lock, says so, and waits to be killed. */
  public static void main(String[] args) throws Exception {
    try (DirectoryLock lock = DirectoryLock.acquire(Path.of(args[0]), "test run")) {
      System.out.println("locked");
      System.out.flush();
      Thread.sleep(60_000);
    }
  }

  @Test
  void aSecondHolderInThisProcessIsRefused() {
    try (DirectoryLock first = DirectoryLock.acquire(dir, "training run")) {
      InvalidInputException e = assertThrows(InvalidInputException.class,
          () -> DirectoryLock.acquire(dir, "training run"));
      assertTrue(e.getMessage().contains("in use by another training run (PID " + ProcessHandle.current().pid() + ")"),
          e.getMessage());
    }
    DirectoryLock.acquire(dir, "training run").close(); // released on close
  }

  @Test
  void anotherProcessIsNamedByPidAndItsLockIsFreeAfterKill9() throws Exception {
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), DirectoryLockTest.class.getName(), dir.toString())
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertTrue("locked".equals(line), "child said: " + line);
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> DirectoryLock.acquire(dir, "run"));
      assertTrue(e.getMessage().contains("(PID " + child.pid() + ")"), e.getMessage());
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
      assertTrue(child.waitFor(20, TimeUnit.SECONDS));
    }
    DirectoryLock.acquire(dir, "run").close(); // the kernel released the killed holder's lock
  }
}
