package org.moellava.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.error.InvalidInputException;

/**
 * The Java side of the transformers comparison's line protocol, against stand-in "Pythons" (shell scripts) that
 * answer as {@code tools/bench/hf_decode.py} does, or fail as a Python without torch does.
 */
class TransformersDecodeTest {
  @TempDir Path dir;

  private Path fakePython(String body) throws IOException {
    Path p = dir.resolve("python");
    Files.writeString(p, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    return p;
  }

  @Test
  void roundsAreReadFromTheScriptsJsonLines() throws Exception {
    Path python = fakePython("""
        echo '{"event": "ready", "torch": "2.13.0+cpu", "transformers": "5.18.0", "threads": 2, "load_seconds": 1}'
        while read line; do
          echo '{"event": "round", "tokens": [7, 8, 9], "prefill_ms": 12.5, "decode_tokens_per_second": 40.0}'
        done
        """);
    try (TransformersDecode hf = TransformersDecode.start(python, dir, new int[] {1, 2}, 3, 2)) {
      assertEquals("torch 2.13.0+cpu, transformers 5.18.0, 2 threads", hf.versions());
      for (int r = 0; r < 2; r++) {
        TransformersDecode.Round round = hf.round();
        assertArrayEquals(new int[] {7, 8, 9}, round.tokens());
        assertEquals(12.5, round.prefillMillis());
        assertEquals(40.0, round.decodeTokensPerSecond());
      }
    }
  }

  @Test
  void aPythonWithoutTorchIsUnavailableWithItsError() throws Exception {
    Path python = fakePython("echo \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n");
    TransformersDecode.Unavailable e = assertThrows(TransformersDecode.Unavailable.class,
        () -> TransformersDecode.start(python, dir, new int[] {1}, 2, 2));
    assertTrue(e.getMessage().contains("No module named 'torch'"), e.getMessage());
  }

  @Test
  void aMissingPythonIsRefusedInOneLine() {
    InvalidInputException e = assertThrows(InvalidInputException.class,
        () -> TransformersDecode.python(dir.resolve("no-such-python")));
    assertTrue(e.getMessage().startsWith("--python " + dir.resolve("no-such-python") + ": not an executable file"),
        e.getMessage());
  }
}
