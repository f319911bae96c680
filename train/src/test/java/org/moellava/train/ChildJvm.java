package org.moellava.train;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A child JVM on this test's class path (and its native-cache properties), its output collected, for the tests that
 * kill a training process mid-run.
 *
 * @param process the child
 * @param out what it printed, stdout and stderr together
 */
record ChildJvm(Process process, StringBuffer out) {
  /** Starts {@code mainClass} with {@code systemProperties} ({@code -Dname=value} each) and {@code args}. */
  static ChildJvm start(List<String> systemProperties, Class<?> mainClass, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xss4m", "-cp", System.getProperty("java.class.path")));
    for (String p : List.of("org.bytedeco.javacpp.cachedir", "moellava.cache")) {
      if (System.getProperty(p) != null) cmd.add("-D" + p + "=" + System.getProperty(p));
    }
    cmd.addAll(systemProperties);
    cmd.add(mainClass.getName());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuffer out = new StringBuffer();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) out.append(line).append('\n');
      } catch (IOException ignored) {
        // the process was killed
      }
    });
    reader.setDaemon(true);
    reader.start();
    return new ChildJvm(p, out);
  }

  String output() {
    return out.toString();
  }
}
