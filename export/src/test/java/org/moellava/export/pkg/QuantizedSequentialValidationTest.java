package org.moellava.export.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.moellava.config.ModelConfig;
import org.moellava.export.quant.QuantScheme;
import org.moellava.export.quant.QuantizeOptions;
import org.moellava.export.validate.ConformanceReport;

/**
 * A quantized export's validation with TensorFlow and ONNX Runtime one after the other (as at full size, where both
 * do not fit) reports what the simultaneous one reports: verdict, every check's figures, both sides' greedy tokens.
 */
class QuantizedSequentialValidationTest {
  @TempDir Path dir;

  @Test
  void sequentialQuantizedValidationEqualsTheSimultaneousOne() {
    ModelConfig config = PkgTestConfigs.quantMicro();
    TestCheckpoints.write(dir.resolve("ck"), config, 5);
    ExportOptions options = ExportOptions.defaults()
        .withQuantize(new QuantizeOptions(QuantScheme.parse("int4", 32, true, 0), false));
    ConformanceReport together = new PackageExporter(options).export(dir.resolve("ck"), dir.resolve("a"))
        .conformance();
    ConformanceReport sequential;
    String before = System.getProperty(ValidationMemory.FORCE_PROPERTY);
    System.setProperty(ValidationMemory.FORCE_PROPERTY, "true");
    try {
      sequential = new PackageExporter(options).export(dir.resolve("ck"), dir.resolve("b")).conformance();
    } finally {
      if (before == null) System.clearProperty(ValidationMemory.FORCE_PROPERTY);
      else System.setProperty(ValidationMemory.FORCE_PROPERTY, before);
    }
    assertEquals(together.passed(), sequential.passed());
    assertEquals(together.checks(), sequential.checks());
    assertEquals(together.greedyTokensTf(), sequential.greedyTokensTf());
    assertEquals(together.greedyTokensPackage(), sequential.greedyTokensPackage());
    assertEquals(together.quantized(), sequential.quantized());
  }
}
