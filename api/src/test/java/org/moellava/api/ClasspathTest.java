package org.moellava.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * moellava-api brings no TensorFlow: its runtime dependency list (written by the build, {@code dependency:list}) has
 * no TensorFlow artifact, no moellava-graph-builder and no logging binding, and a JVM with exactly that classpath
 * (plus the test classes) captions an image with a tiny package, with the JVM's default thread stack, without
 * loading a single TensorFlow or graph-builder class.
 */
class ClasspathTest {

  private static Path buildFile(String property) {
    String value = System.getProperty(property);
    assertTrue(value != null, "run by Maven, which sets -D" + property);
    return Path.of(value);
  }

  @Test
  void runtimeDependenciesHoldNoTensorFlowAndNoLoggingBinding() throws Exception {
    List<String> deps = Files.readAllLines(buildFile("moellava.api.runtimeDependencies")).stream()
        .map(String::strip).filter(l -> l.matches("[\\w.-]+:[\\w.-]+:.*")).toList();
    assertTrue(deps.stream().anyMatch(d -> d.startsWith("com.microsoft.onnxruntime:onnxruntime:")), deps.toString());
    assertTrue(deps.stream().anyMatch(d -> d.startsWith("org.moellava:moellava-serve:")), deps.toString());
    for (String d : deps) {
      assertFalse(d.startsWith("org.tensorflow:"), "TensorFlow on moellava-api's runtime classpath: " + d);
      assertFalse(d.startsWith("org.moellava:moellava-graph-builder:"), d);
      assertFalse(d.startsWith("org.moellava:moellava-export:"), d);
      assertFalse(d.startsWith("org.slf4j:slf4j-simple:") || d.startsWith("ch.qos.logback:")
          || d.startsWith("org.apache.logging.log4j:log4j-slf4j"), "a logging binding in a library: " + d);
    }
  }

  @Test
  void theInstalledPomNeedsNothingFromThisBuild() throws Exception {
    // flatten-maven-plugin's output, which install (and invoker:install) publish instead of api/pom.xml
    Path pom = buildFile("moellava.api.classes").resolveSibling("flattened-pom.xml");
    String xml = Files.readString(pom);
    assertFalse(xml.contains("${"), "an unresolved property in " + pom);
    assertFalse(xml.contains("<parent>"), "a parent a consumer would need: " + pom);
    assertTrue(xml.contains("<artifactId>moellava-serve</artifactId>") && xml.contains("<version>0.1.0"), xml);
    String runtimePom = Files.readString(Path.of(System.getProperty("moellava.root", ".."),
        "runtime/target/flattened-pom.xml"));
    assertTrue(runtimePom.contains("<artifactId>onnxruntime</artifactId>"), "${onnxruntime.artifact} resolved");
    assertTrue(runtimePom.matches("(?s).*<artifactId>moellava-graph-builder</artifactId>.*?<optional>true</optional>.*"),
        "graph-builder stays optional for consumers of moellava-runtime");
  }

  @Test
  void aJvmWithTheApiRuntimeClasspathCaptionsWithoutLoadingTensorFlow(@TempDir Path dir) throws Exception {
    Path pkg = TinyModel.write(dir, 7);
    Path image = dir.resolve("image.png");
    String runtime = Files.readString(buildFile("moellava.api.runtimeClasspath")).strip();
    String classpath = buildFile("moellava.api.classes") + File.pathSeparator + buildFile("moellava.api.testClasses")
        + File.pathSeparator + runtime;
    Path classLog = dir.resolve("classes.log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xlog:class+load=info:file=" + classLog, "-cp", classpath, ForkedCaption.class.getName(),
        pkg.toString(), image.toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "forked caption finished");
    assertEquals(0, p.exitValue(), out);

    int[] forkedIds = out.lines().filter(l -> l.startsWith("ids: ")).findFirst()
        .map(l -> Arrays.stream(l.substring(6, l.length() - 1).split(", ")).mapToInt(Integer::parseInt).toArray())
        .orElseThrow(() -> new AssertionError("no ids line in " + out));
    try (MoeLlava model = MoeLlava.open(pkg)) {
      assertArrayEquals(model.generate(image, "what is in this image?", GenerationParams.greedy(12)).tokenIds(),
          forkedIds, "the forked JVM's answer is this JVM's");
    }
    assertTrue(out.contains("backend: onnxruntime-cpu"), out);
    assertTrue(out.contains("tensorflow: BackendUnavailableException: the TensorFlow backend needs "
        + "moellava-graph-builder"), out);

    List<String> loaded = Files.readAllLines(classLog);
    assertTrue(loaded.stream().anyMatch(l -> l.contains("ai.onnxruntime.OrtSession ")), "class log has ORT classes");
    assertTrue(loaded.stream().anyMatch(l -> l.contains("org.moellava.api.MoeLlava ")), "and the facade");
    List<String> forbidden = loaded.stream().filter(l -> l.contains(" org.tensorflow.")
        || l.contains(" org.moellava.graph.") || l.contains(" org.moellava.checkpoint.")
        || l.contains(" org.moellava.runtime.tf.") || l.contains(" org.moellava.export.")).toList();
    assertTrue(forbidden.isEmpty(), "TensorFlow-side classes loaded: " + forbidden);
  }
}
