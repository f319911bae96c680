package org.moellava.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.Presets;

class CheckpointRotationTest {
  @TempDir Path run;

  private static TrainingState at(long step) {
    return new TrainingState("stage2", step, step * 16, 42, Map.of("loss", 1.0 / (step + 1)));
  }

  @Test
  void keepsTheLastKAndPointsLatestAtTheNewest() throws IOException {
    CheckpointRotation rotation = new CheckpointRotation(run, 2);
    for (long step : new long[] {10, 20, 30, 40}) {
      rotation.save(Presets.get("tiny"), null, CheckpointRoundTripTest.sampleVariables(), at(step));
    }
    assertEquals(List.of(run.resolve("step-000030"), run.resolve("step-000040")), rotation.checkpoints());
    assertEquals("step-000040", Files.readString(run.resolve("latest")).trim());
    assertEquals(run.resolve("step-000040"), rotation.latest().orElseThrow());
    assertEquals(40, CheckpointReader.open(rotation.latest().orElseThrow()).state().step());
  }

  @Test
  void neverPicksStagingOrIncompleteDirectories() throws IOException {
    CheckpointRotation rotation = new CheckpointRotation(run, 3);
    assertTrue(rotation.latest().isEmpty());
    rotation.save(Presets.get("tiny"), null, CheckpointRoundTripTest.sampleVariables(), at(5));

    // a crashed writer's staging directory, complete inside but hidden, with a higher step
    new CheckpointWriter().write(run.resolve(".step-000009.tmp123"), Presets.get("tiny"), null,
        CheckpointRoundTripTest.sampleVariables(), at(9));
    // a visible directory without state.json
    Files.createDirectories(run.resolve("step-000010/variables"));
    Files.writeString(run.resolve("step-000010/config.json"), "{}");

    assertEquals(run.resolve("step-000005"), rotation.latest().orElseThrow());
    Files.delete(run.resolve("latest"));
    assertEquals(run.resolve("step-000005"), rotation.latest().orElseThrow(), "fallback scan");
    Files.writeString(run.resolve("latest"), "step-000010\n");
    assertEquals(run.resolve("step-000005"), rotation.latest().orElseThrow(), "pointer to incomplete dir");
    assertEquals(List.of(run.resolve("step-000005")), rotation.checkpoints());
  }
}
