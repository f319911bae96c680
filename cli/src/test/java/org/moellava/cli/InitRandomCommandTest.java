package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.checkpoint.CheckpointReader;

class InitRandomCommandTest {
  @TempDir Path tmp;

  @Test
  void writesAProjectCheckpointOfAPreset() {
    Path out = tmp.resolve("ck");
    CliRunner r = CliRunner.run("init-random", "--config", "tiny", "--layout", "project", "--dtype", "f32", "--out",
        out.toString(), "--seed", "3");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("wrote tiny (project layout, f32): "), r.out());
    assertEquals("imported", CheckpointReader.open(out).state().stage());
    assertFalse(CheckpointReader.open(out).variables().isEmpty());
  }

  @Test
  void badInputIsOneLineAndWritesNothing() {
    String out = tmp.resolve("x").toString();
    String[][] cases = {
        {"--config", "tiny", "--out", out, "--dtype", "f8"},
        {"--config", "tiny", "--out", out, "--layout", "gguf"},
        {"--config", "tiny", "--out", out, "--layout", "moellava"},
        {"--config", "moe-llava-phi2-2.7b-4e", "--out", out, "--shard-size", "lots"},
        {"--config", "no-such-preset", "--out", out}};
    String[] expected = {"--dtype", "--layout", "qwen2_moe", "--shard-size", "no-such-preset"};
    for (int i = 0; i < cases.length; i++) {
      String[] args = new String[cases[i].length + 1];
      args[0] = "init-random";
      System.arraycopy(cases[i], 0, args, 1, cases[i].length);
      CliRunner r = CliRunner.run(args);
      assertEquals(2, r.exitCode(), String.join(" ", args) + ": " + r.err());
      assertTrue(r.err().startsWith("moellava: error: ") && r.err().contains(expected[i]), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
      assertFalse(Files.exists(Path.of(out)));
    }
  }
}
