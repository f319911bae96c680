package org.moellava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 open / generate / close cycles on the tiny package: the process's resident memory (VmRSS) after the last
 * cycle is within 64 MB of what it was after cycle 50. The heap is fixed and pre-touched (-Xms768m -Xmx768m
 * -XX:+AlwaysPreTouch), and each reading follows a full GC (the engine's direct buffers are freed when collected),
 * so the growth measured is native memory still held. Why 64 MB: a model whose {@link MoeLlava#close()} leaves its
 * three ONNX Runtime sessions and its tokenizer open leaks about 4.7 MB per cycle (measured with close() stopping
 * only the engine: +711 MB from cycle 50 to 200, 11 times the bound, and the test fails); a clean run grows by
 * about 40 MB over its first 60 cycles (malloc arenas, JIT code) and then settles (+20 and +25 MB from cycle 50 to
 * 200 in two runs of this test).
 */
@Tag("heavy")
@Timeout(900)
class CloseReleasesMemoryTest {
  private static final int CYCLES = 200;
  private static final int WARM_UP = 50;
  private static final long BOUND_KB = 64 * 1024;

  @Test
  void closingReleasesNativeMemory(@TempDir Path dir) throws IOException {
    Path pkg = TinyModel.write(dir, 7);
    Path image = dir.resolve("image.png");
    long afterWarmUp = -1;
    int[] firstIds = null;
    for (int cycle = 1; cycle <= CYCLES; cycle++) {
      try (MoeLlava model = MoeLlava.open(pkg, Options.builder().threads(1).build())) {
        Generation g = model.generate(image, "what is in this image?", GenerationParams.greedy(4));
        if (firstIds == null) firstIds = g.tokenIds();
        assertEquals(firstIds.length, g.tokenIds().length);
      }
      if (cycle == WARM_UP) afterWarmUp = residentKilobytes();
    }
    long end = residentKilobytes();
    System.out.printf("CloseReleasesMemoryTest RSS: %d kB after %d cycles, %d kB after %d (%+d kB)%n", afterWarmUp,
        WARM_UP, end, CYCLES, end - afterWarmUp);
    assertTrue(end - afterWarmUp <= BOUND_KB, "RSS grew by " + (end - afterWarmUp) + " kB from cycle " + WARM_UP
        + " to " + CYCLES + ", over the bound of " + BOUND_KB + " kB");
  }

  /** VmRSS after a full GC, in kB. */
  static long residentKilobytes() throws IOException {
    System.gc();
    try {
      Thread.sleep(100); // the reference handler frees collected direct buffers
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.gc();
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
