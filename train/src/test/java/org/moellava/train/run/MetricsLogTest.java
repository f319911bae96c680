package org.moellava.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
  @TempDir Path dir;

  @Test
  void dropAfterRemovesTheResumedStagesLaterStepsAndATornLine() throws Exception {
    Path file = dir.resolve("metrics.jsonl");
    try (MetricsLog log = new MetricsLog(file)) {
      for (int s = 1; s <= 3; s++) log.append(Map.of("stage", "vision", "step", s));
      for (int s = 1; s <= 5; s++) log.append(Map.of("stage", "stage1", "step", s));
    }
    Files.writeString(file, Files.readString(file) + "{\"stage\":\"stage1\",\"st");
    MetricsLog.dropAfter(file, "stage1", 2);
    List<String> lines = Files.readAllLines(file);
    assertEquals(5, lines.size(), String.join("\n", lines));
    assertEquals("{\"stage\":\"stage1\",\"step\":2}", lines.get(4).replace("{\"step\":2,\"stage\":\"stage1\"}",
        "{\"stage\":\"stage1\",\"step\":2}"));
  }
}
