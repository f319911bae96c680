package org.moellava.export.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.moellava.config.ModelConfig;
import org.moellava.config.ParameterCount;

/**
 * Whether the export's validation can hold the TensorFlow reference (the model's float32 weights) and the ONNX
 * Runtime session (the package's files) at once. When it cannot, the reference runs first with its outputs recorded
 * on disk, is closed, and the package runs second ({@code RecordedReference}).
 */
final class ValidationMemory {
  /** {@code -Dmoellava.export.sequentialValidation=true} forces the sequential validation (tests, small machines). */
  static final String FORCE_PROPERTY = "moellava.export.sequentialValidation";
  /** Kept free for everything else (graphs, activations, the JVM). */
  static final long MARGIN = 2L << 30;

  private ValidationMemory() {}

  /** Whether TF and ORT should run one after the other for {@code config}'s package in {@code packageDir}. */
  static boolean sequential(ModelConfig config, Path packageDir) {
    if (Boolean.getBoolean(FORCE_PROPERTY)) return true;
    long tf = 4L * ParameterCount.of(config).grandTotal();
    long ort = PackageExporter.sizeOf(packageDir);
    OptionalLong available = memAvailable();
    return available.isPresent() && tf + ort + MARGIN > available.getAsLong();
  }

  /** {@code MemAvailable} of {@code /proc/meminfo} in bytes, if readable (Linux). */
  static OptionalLong memAvailable() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) {
          String[] parts = line.trim().split("\\s+");
          return OptionalLong.of(Long.parseLong(parts[1]) * 1024);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or unreadable: no estimate
    }
    return OptionalLong.empty();
  }
}
