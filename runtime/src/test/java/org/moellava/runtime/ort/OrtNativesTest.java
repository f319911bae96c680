package org.moellava.runtime.ort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX Runtime's natives come from the project's cache: no /tmp/onnxruntime-java* folder is left per process. */
class OrtNativesTest {
  @TempDir Path dir;

  /** Child JVM: configure, then start ONNX Runtime. */
  public static void main(String[] args) {
    OrtNatives.configure();
    System.out.println(OrtEnvironment.getEnvironment().getVersion() + " " + System.getProperty(OrtNatives.NATIVE_PATH));
  }

  @Test
  void twoProcessesLeaveNoTemporaryFolderAndShareOneCachedCopy() throws Exception {
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path cache = dir.resolve("cache");
    for (int run = 0; run < 2; run++) {
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Djava.io.tmpdir=" + tmp, "-Dmoellava.cache=" + cache, "-cp", System.getProperty("java.class.path"),
          OrtNativesTest.class.getName()).redirectErrorStream(true).start();
      String out = new String(child.getInputStream().readAllBytes());
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, child.exitValue(), out);
      assertTrue(out.contains(cache.resolve("onnxruntime").toString()), out);
    }
    try (Stream<Path> left = Files.list(tmp)) {
      List<Path> folders = left.toList();
      assertTrue(folders.isEmpty(), "left in java.io.tmpdir: " + folders);
    }
    try (Stream<Path> libs = Files.walk(cache)) {
      List<String> names = libs.map(p -> p.getFileName().toString()).toList();
      assertTrue(names.contains(System.mapLibraryName("onnxruntime")), names.toString());
      assertTrue(names.contains(System.mapLibraryName("onnxruntime4j_jni")), names.toString());
    }
  }
}
