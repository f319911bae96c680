package org.moellava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConformanceCommandTest {
  @TempDir Path dir;

  @Test
  void unknownBackendIsAUsageError() {
    CliRunner r = CliRunner.run("conformance", "--checkpoint", dir.toString(), "--package", dir.toString(),
        "--backends", "tf,onnx-gpu");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("unknown backend 'onnx-gpu'"), r.err());
  }

  @Test
  void missingPackageNamesModelJson() {
    CliRunner r = CliRunner.run("conformance", "--checkpoint", dir.toString(), "--package", dir.resolve("nope").toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("model.json: not found"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }
}
