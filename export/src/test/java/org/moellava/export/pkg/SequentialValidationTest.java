package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.export.validate.ConformanceReport;

/**
 * The export's validation with TensorFlow and ONNX Runtime one after the other (the reference recorded on disk, as at
 * full size when both would not fit) gives the same report as with both open: every check's error, token count and
 * verdict, and the greedy tokens of both sides.
 */
class SequentialValidationTest {
  @TempDir Path dir;

  @Test
  void sequentialValidationReportsWhatTheSimultaneousOneReports() throws IOException {
    ModelConfig config = PkgTestConfigs.micro();
    TestCheckpoints.write(dir.resolve("ck"), config, 7);
    ConformanceReport together = new PackageExporter(ExportOptions.defaults())
        .export(dir.resolve("ck"), dir.resolve("pkg-a")).conformance();
    ConformanceReport sequential;
    String before = System.getProperty(ValidationMemory.FORCE_PROPERTY);
    System.setProperty(ValidationMemory.FORCE_PROPERTY, "true");
    try {
      sequential = new PackageExporter(ExportOptions.defaults()).export(dir.resolve("ck"), dir.resolve("pkg-b"))
          .conformance();
    } finally {
      if (before == null) System.clearProperty(ValidationMemory.FORCE_PROPERTY);
      else System.setProperty(ValidationMemory.FORCE_PROPERTY, before);
    }
    assertTrue(sequential.passed());
    assertEquals(together.checks().size(), sequential.checks().size());
    assertTrue(together.checks().size() >= 10, "checks: " + together.checks().size());
    for (int i = 0; i < together.checks().size(); i++) {
      ConformanceReport.Check a = together.checks().get(i);
      ConformanceReport.Check b = sequential.checks().get(i);
      assertEquals(a.name(), b.name());
      assertEquals(a.relativeError(), b.relativeError(), 1e-12 + 1e-6 * a.relativeError(), a.name());
      assertEquals(a.tokens(), b.tokens(), a.name());
      assertEquals(a.passed(), b.passed(), a.name());
    }
    assertEquals(together.greedyTokensTf(), sequential.greedyTokensTf());
    assertEquals(together.greedyTokensPackage(), sequential.greedyTokensPackage());
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no recording left behind");
    }
  }
}
