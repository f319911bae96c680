package org.moellava.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM stopped by SIGTERM while it holds a staging and a scratch directory (an export stopped with Ctrl-C or
 * {@code kill}) deletes both on its way out; SIGKILL cannot run the hook, so they stay (what {@code removeStaging}
 * is for).
 */
class StagingCleanupOnExitTest {
  @TempDir Path dir;

  @Test
  void sigtermLeavesNothingBehind() throws Exception {
    Process p = startHolder(dir);
    assertEquals(2, hidden(dir).size(), "the holder made its two directories");
    p.destroy(); // SIGTERM on Linux
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the holder exits on SIGTERM");
    assertEquals(List.of(), hidden(dir));
  }

  @Test
  void sigkillLeavesThemAndRemoveStagingClearsTheStagingOne() throws Exception {
    Process p = startHolder(dir);
    p.destroyForcibly(); // SIGKILL: no hook runs
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, hidden(dir).size(), "nothing could clean up after SIGKILL");
    AtomicFiles.removeStaging(dir.resolve("pkg"));
    assertEquals(1, hidden(dir).size(), "only the scratch directory is left");
  }

  private static Process startHolder(Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
        StagingHolder.class.getName(), dir.toString()).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertEquals("ready", line, "the holder started");
    return p;
  }

  private static List<String> hidden(Path dir) throws Exception {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(x -> x.getFileName().toString()).filter(n -> n.startsWith(".")).sorted().toList();
    }
  }
}
