package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
  @TempDir Path dir;

  @Test
  void unknownStageIsAOneLineErrorWithExitCode2() {
    CliRunner r = CliRunner.run("train", "--config", "tiny", "--stage", "5", "--data", "synth", "--out",
        dir.resolve("run").toString());
    assertEquals(2, r.exitCode(), r.err());
    assertEquals("moellava: error: unknown stage '5' (stages: vision, 1, 2, 3, all)", r.err().strip());
  }

  @Test
  void stage3WithoutStage2CheckpointExits2() {
    CliRunner r = CliRunner.run("train", "--config", "tiny", "--stage", "3", "--data", "synth", "--out",
        dir.resolve("run").toString());
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().startsWith("moellava: error: stage stage3 starts from the stage2 checkpoint"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }
}
