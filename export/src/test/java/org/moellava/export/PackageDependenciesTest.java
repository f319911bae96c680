package org.moellava.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of the export pipeline depend one way: {@code spec} (the package graphs' boundary) below
 * {@code validate} and {@code tensorrt}, which sit below {@code pkg} (the exporter that runs them); {@code quant} (the
 * ModelProto rewrites of {@code --quantize}) is below {@code pkg} too. Read from the
 * main sources' imports and qualified names.
 */
class PackageDependenciesTest {
  private static final Path SOURCES = Path.of("src/main/java/org/moellava/export");
  private static final Pattern REFERENCE = Pattern.compile("org\\.moellava\\.export\\.(pkg|spec|validate|tensorrt|quant)\\.([A-Z]|\\*)");

  /** Package to the export packages it must not reference. */
  private static final Map<String, Set<String>> FORBIDDEN = Map.of(
      "spec", Set.of("pkg", "validate", "tensorrt"),
      "validate", Set.of("pkg", "tensorrt"),
      "tensorrt", Set.of("pkg", "validate"),
      "quant", Set.of("pkg", "validate", "tensorrt"));

  @Test
  void specIsBelowValidateAndTensorRtWhichAreBelowPkg() throws IOException {
    assertTrue(Files.isDirectory(SOURCES.resolve("spec")), SOURCES.toAbsolutePath() + " (run from the module)");
    Set<String> violations = new TreeSet<>();
    for (Map.Entry<String, Set<String>> e : FORBIDDEN.entrySet()) {
      for (Path file : javaFiles(SOURCES.resolve(e.getKey()))) {
        Matcher m = REFERENCE.matcher(Files.readString(file));
        while (m.find()) {
          if (e.getValue().contains(m.group(1))) violations.add(file.getFileName() + " -> export." + m.group(1));
        }
      }
    }
    assertEquals(Set.of(), violations);
  }

  private static List<Path> javaFiles(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
  }
}
